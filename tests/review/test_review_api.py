"""GET /api/v1/decisions/{id}, POST .../objections and POST /api/v1/reviews/{id}/resolve."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone

from audit.models import AuditEvent, DecisionRecord
from registry.models import ApiClient
from review.models import ReviewCase
from review.services import case_resolve
from tests.review.conftest import OVER_CAP, RISKY, Decide, officer
from tests.scoring.support import VALID, keyed, signed_in

STATEMENT = "Saya Siti Nurhaliza, gaji saya naik menjadi Rp 15 juta; hubungi 0812-3456-7890"


def url(record_id: object, tail: str = "") -> str:
    return f"/api/v1/decisions/{record_id}{tail}"


def test_the_client_that_asked_sees_the_final_decision_and_history(
    decide: Decide, fintech_key: tuple[ApiClient, str]
) -> None:
    record = decide(RISKY)
    case = ReviewCase.objects.get()
    response = keyed(fintech_key[1]).get(url(record.request_id))
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "request_id": str(record.request_id),
        "recorded_decision": "REVIEW",
        "final_decision": "REVIEW",
        "decided_at": record.created_at.isoformat(),
        "open_case": {
            "id": case.pk,
            "kind": "REVIEW",
            "status": "OPEN",
            "opened_at": case.opened_at.isoformat(),
            "deadline": case.deadline.isoformat(),
            "final_decision": None,
        },
        "events": [
            {
                "sequence": 1,
                "kind": "CASE_OPENED",
                "at": case.opened_at.isoformat(),
                "payload": {
                    "case": case.pk,
                    "case_kind": "REVIEW",
                    "deadline": case.deadline.isoformat(),
                },
            }
        ],
    }


def test_another_client_gets_404_for_status_and_objection(
    decide: Decide, bank_key: tuple[ApiClient, str]
) -> None:
    record = decide(VALID)
    other = keyed(bank_key[1])
    assert other.get(url(record.request_id)).status_code == 404
    response = other.post(url(record.request_id, "/objections"), {}, format="json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert ReviewCase.objects.count() == 0


def test_an_objection_opens_a_case_due_in_72_hours_and_keeps_the_statement_encrypted(
    decide: Decide, fintech_key: tuple[ApiClient, str], caplog: pytest.LogCaptureFixture
) -> None:
    record = decide(VALID)
    caplog.set_level(logging.DEBUG)
    response = keyed(fintech_key[1]).post(
        url(record.request_id, "/objections"), {"statement": STATEMENT}, format="json"
    )
    assert response.status_code == 201
    case = ReviewCase.objects.get()
    assert (case.kind, case.status, case.deadline - case.opened_at) == (
        "OBJECTION",
        "OPEN",
        timedelta(hours=72),
    )
    assert response.json()["open_case"]["id"] == case.pk
    event = AuditEvent.objects.get()
    assert (event.kind, event.actor_name) == ("CASE_OPENED", "client:los-fintech")
    assert event.secret_encrypted
    assert "Siti" not in event.secret_encrypted
    assert "Siti" not in str(event.payload)
    assert "Siti" not in response.content.decode()
    assert "Siti" not in caplog.text
    assert "0812" not in caplog.text


def test_a_second_objection_is_409_naming_the_open_case(
    decide: Decide, fintech_key: tuple[ApiClient, str]
) -> None:
    record = decide(RISKY)  # a REVIEW case is open already
    case = ReviewCase.objects.get()
    response = keyed(fintech_key[1]).post(url(record.request_id, "/objections"), {}, format="json")
    assert response.status_code == 409
    assert response.json() == {
        "error": {
            "code": "conflict",
            "message": f"Case {case.pk} (REVIEW) is already open on this decision.",
            "fields": {},
        }
    }
    assert (ReviewCase.objects.count(), AuditEvent.objects.count()) == (1, 1)


def test_an_objection_names_a_bad_field(decide: Decide, fintech_key: tuple[ApiClient, str]) -> None:
    record = decide(VALID)
    response = keyed(fintech_key[1]).post(
        url(record.request_id, "/objections"), {"statement": "x" * 2001}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["statement"]
    assert ReviewCase.objects.count() == 0


def test_a_credit_officer_resolves_over_the_api_with_four_eyes(
    decide: Decide, fintech_key: tuple[ApiClient, str], ani: User, budi: User
) -> None:
    record = decide(VALID)
    keyed(fintech_key[1]).post(url(record.request_id, "/objections"), {}, format="json")
    case = ReviewCase.objects.get()
    resolve = f"/api/v1/reviews/{case.pk}/resolve"
    body = {"decision": "REJECT", "reason_code": "DATA_INCONSISTENT", "note": "dokumen palsu"}
    response = signed_in(ani).post(resolve, body, format="json")
    assert response.status_code == 200
    shown = response.json()
    assert (shown["final_decision"], shown["open_case"]["status"]) == (
        "APPROVE",
        "AWAITING_APPROVAL",
    )
    assert shown["events"][-1]["note"] == "dokumen palsu"
    approve = f"/api/v1/reviews/{case.pk}/approve"
    own = signed_in(ani).post(approve, {"approve": True}, format="json")
    assert own.status_code == 403
    assert own.json()["error"]["message"] == (
        "Nobody approves their own override: a second officer must."
    )
    assert AuditEvent.objects.filter(kind="RESOLUTION_APPROVED").count() == 0
    second = signed_in(budi).post(approve, {"approve": True, "note": "setuju"}, format="json")
    assert second.status_code == 200
    assert (second.json()["final_decision"], second.json()["open_case"]) == ("REJECT", None)
    client_view = keyed(fintech_key[1]).get(url(record.request_id)).json()
    assert "note" not in client_view["events"][-1]
    assert "actor" not in client_view["events"][-1]


def test_a_hard_rule_over_the_api_is_409_naming_the_rule(
    decide: Decide, fintech_key: tuple[ApiClient, str], ani: User
) -> None:
    record = decide(OVER_CAP)
    keyed(fintech_key[1]).post(url(record.request_id, "/objections"), {}, format="json")
    case = ReviewCase.objects.get()
    response = signed_in(ani).post(
        f"/api/v1/reviews/{case.pk}/resolve",
        {"decision": "APPROVE", "reason_code": "VERIFIED_INCOME"},
        format="json",
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "hard_rule"
    assert error["fields"]["decision"][0].startswith("OJK_MAX_REPAYMENT_TO_INCOME: ")
    assert AuditEvent.objects.count() == 1


def test_resolve_names_each_bad_field(decide: Decide, ani: User) -> None:
    decide(RISKY)
    case = ReviewCase.objects.get()
    response = signed_in(ani).post(
        f"/api/v1/reviews/{case.pk}/resolve",
        {"decision": "MAYBE", "reason_code": "NOPE"},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"decision", "reason_code"}
    assert AuditEvent.objects.count() == 1
    missing = signed_in(ani).post(
        "/api/v1/reviews/999999/resolve",
        {"decision": "REJECT", "reason_code": "POLICY_CONFIRMED"},
        format="json",
    )
    assert missing.status_code == 404


def test_the_review_endpoints_are_in_the_openapi_schema(client: object) -> None:
    from django.test import Client

    assert isinstance(client, Client)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    assert paths["/api/v1/decisions/{request_id}"]["get"]["operationId"] == "decision_status"
    objection = paths["/api/v1/decisions/{request_id}/objections"]["post"]
    assert set(objection["responses"]) == {"201", "400", "404", "409"}
    resolve = paths["/api/v1/reviews/{case_id}/resolve"]["post"]
    assert resolve["tags"] == ["review"]


def test_an_objection_after_the_window_is_409_and_writes_nothing(
    decide: Decide, fintech_key: tuple[ApiClient, str]
) -> None:
    record = decide(VALID)
    with connection.cursor() as cursor:  # move the decision back in time (past the window)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
    DecisionRecord.objects.filter(pk=record.pk).update(
        created_at=timezone.now() - timedelta(days=31)
    )
    response = keyed(fintech_key[1]).post(url(record.request_id, "/objections"), {}, format="json")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "objection_window_closed"
    assert error["message"].startswith("The objection window closed on ")
    assert ReviewCase.objects.count() == 0


def test_a_compliance_user_sees_notes_and_who_acted_and_a_model_manager_is_refused(
    decide: Decide, ani: User, compliance_user: User
) -> None:
    decide(RISKY)
    case = ReviewCase.objects.get()
    case_resolve(
        case_id=case.pk, user=ani, decision="REJECT", reason_code="POLICY_CONFIRMED", note="ok"
    )
    shown = signed_in(compliance_user).get(url(case.decision.request_id)).json()
    assert [(e["kind"], e["actor"], e["note"]) for e in shown["events"]] == [
        ("CASE_OPENED", "kreditax", None),
        ("CASE_CLAIMED", "user:ani", None),
        ("CASE_RESOLVED", "user:ani", "ok"),
    ]
    assert (shown["final_decision"], shown["open_case"]) == ("REJECT", None)
    manager = officer("dewi", "Model Manager")
    assert signed_in(manager).get(url(case.decision.request_id)).status_code == 403
