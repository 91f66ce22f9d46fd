"""The decision page: whether the record verifies, and a replay button for compliance."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client

from audit import replay
from audit.models import AuditAccess, DecisionRecord
from registry import roles
from registry.models import ModelVersion
from registry.services import api_client_create
from scoring.services import Endpoint, actor_of, application_score
from tests.audit.conftest import MakeRecords, staff_in

CHANGELIST = "/admin/audit/decisionrecord/"
REPLAY_BUTTON = "Replay this decision"


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page(record: DecisionRecord) -> str:
    return f"{CHANGELIST}{record.pk}/change/"


def replay_url(record: DecisionRecord) -> str:
    return f"{CHANGELIST}{record.pk}/replay/"


def scored(applications: list[dict[str, Any]]) -> DecisionRecord:
    """A decision made by the scoring service with the champion (so it can be replayed)."""
    client, _ = api_client_create(name="bank-jaya", rule_set_name="fintech")
    application_score(
        payload=applications[0],
        actor=actor_of(client=client, user=None),
        endpoint=Endpoint.PREDICT,
        idempotency_key=None,
    )
    return DecisionRecord.objects.get()


def test_a_record_as_written_verifies(compliance: User, make_records: MakeRecords) -> None:
    (record,) = make_records(1)
    text = signed_in(compliance).get(page(record)).text
    assert '<strong class="verified">verified</strong>' in text
    assert "DOES NOT VERIFY" not in text


def test_a_record_changed_after_it_was_written_does_not_verify(
    compliance: User, make_records: MakeRecords
) -> None:
    (record,) = make_records(1)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE audit_decisionrecord DISABLE TRIGGER ALL")
        cursor.execute(
            "UPDATE audit_decisionrecord SET decision = 'APPROVE' WHERE id = %s", [record.pk]
        )
    text = signed_in(compliance).get(page(record)).text
    assert '<strong class="errornote">DOES NOT VERIFY</strong>' in text
    assert '<strong class="verified">' not in text


def test_the_page_shows_the_time_with_its_zone_and_the_full_request_id(
    compliance: User, make_records: MakeRecords
) -> None:
    (record,) = make_records(1)
    text = signed_in(compliance).get(page(record)).text
    assert "2026-03-02 09:00 WIB" in text
    assert str(record.request_id) in text


def test_compliance_sees_the_replay_button_and_a_credit_officer_does_not(
    compliance: User, make_records: MakeRecords
) -> None:
    (record,) = make_records(1)
    text = signed_in(compliance).get(page(record)).text
    assert f'<form method="post" action="{replay_url(record)}">' in text
    assert REPLAY_BUTTON in text
    officer = staff_in(roles.CREDIT_OFFICER)
    assert REPLAY_BUTTON not in signed_in(officer).get(page(record)).text


def test_replaying_shows_identical_and_logs_the_replay(
    compliance: User, champion: ModelVersion, applications: list[dict[str, Any]]
) -> None:
    record = scored(applications)
    response = signed_in(compliance).post(replay_url(record))
    assert response.status_code == 200
    assert "<strong>Identical</strong>" in response.text
    assert f"model version {champion.label}" in response.text
    access = AuditAccess.objects.get()
    assert (access.user, access.action, access.what, access.row_count) == (
        compliance,
        "REPLAY",
        {"request_id": str(record.request_id), "outcome": "identical"},
        1,
    )


def test_a_replay_that_differs_lists_the_differences(
    compliance: User,
    champion: ModelVersion,
    applications: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    record = scored(applications)
    real_decide = replay.decide  # type: ignore[attr-defined,unused-ignore]

    def drifted(*args: Any, **kwargs: Any) -> Any:
        decision = real_decide(*args, **kwargs)
        return type(decision)(**{**decision.__dict__, "credit_score": decision.credit_score + 7})

    monkeypatch.setattr(replay, "decide", drifted)
    response = signed_in(compliance).post(replay_url(record))
    assert "The replay DIFFERS from the record" in response.text
    expected_row = (
        f"<tr><td>credit_score</td><td>{record.credit_score}</td>"
        f"<td>{record.credit_score + 7}</td></tr>"
    )
    assert expected_row in response.text
    assert AuditAccess.objects.get().what["outcome"] == "differs"


def test_a_replay_that_cannot_run_says_why_and_is_logged(
    compliance: User, make_records: MakeRecords
) -> None:
    (record,) = make_records(1)  # its version's artifact does not exist
    response = signed_in(compliance).post(replay_url(record))
    assert response.status_code == 200
    assert "The decision could not be replayed:" in response.text
    assert AuditAccess.objects.get().what == {
        "request_id": str(record.request_id),
        "outcome": "failed",
    }


def test_a_replay_is_a_post(compliance: User, make_records: MakeRecords) -> None:
    (record,) = make_records(1)
    assert signed_in(compliance).get(replay_url(record)).status_code == 405
    assert AuditAccess.objects.count() == 0


@pytest.mark.parametrize("role", [roles.CREDIT_OFFICER, roles.MODEL_MANAGER])
def test_who_may_not_replay_is_refused_and_nothing_is_logged(
    make_records: MakeRecords, role: str
) -> None:
    (record,) = make_records(1)
    response = signed_in(staff_in(role)).post(replay_url(record))
    assert response.status_code == 403
    assert AuditAccess.objects.count() == 0
