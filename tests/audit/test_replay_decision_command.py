"""``replay_decision`` scores the recorded inputs again with the recorded model and rules."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from audit.models import DecisionRecord
from registry.models import ModelVersion
from registry.services import api_client_create
from scoring.services import Endpoint, actor_of, application_score


def scored(applications: list[dict[str, Any]]) -> DecisionRecord:
    client, _ = api_client_create(name="bank-jaya", rule_set_name="fintech")
    actor = actor_of(client=client, user=None)
    application_score(
        payload=applications[0], actor=actor, endpoint=Endpoint.PREDICT, idempotency_key=None
    )
    return DecisionRecord.objects.get()


def test_a_recorded_decision_replays_identically(
    champion: ModelVersion, applications: list[dict[str, Any]]
) -> None:
    record = scored(applications)
    out = StringIO()
    call_command("replay_decision", str(record.request_id), stdout=out)
    assert out.getvalue() == (
        f"Identical: {record.request_id} ({champion.label}, {record.rule_set_version}).\n"
    )


def test_a_decision_that_no_longer_replays_lists_the_differences(
    champion: ModelVersion, applications: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    record = scored(applications)
    from audit import replay

    real_decide = replay.decide  # type: ignore[attr-defined,unused-ignore]

    def drifted(*args: Any, **kwargs: Any) -> Any:
        decision = real_decide(*args, **kwargs)
        return type(decision)(**{**decision.__dict__, "credit_score": decision.credit_score + 7})

    monkeypatch.setattr(replay, "decide", drifted)
    with pytest.raises(CommandError) as differs:
        call_command("replay_decision", str(record.request_id))
    assert str(differs.value).splitlines() == [
        f"Replay differs: {record.request_id} ({champion.label}, {record.rule_set_version})",
        f"  credit_score: recorded {record.credit_score!r}, replayed {record.credit_score + 7!r}",
    ]


def test_an_unknown_request_id_is_refused(db: None) -> None:
    with pytest.raises(CommandError, match="No decision with request id"):
        call_command("replay_decision", "00000000-0000-0000-0000-000000000000")
    with pytest.raises(CommandError, match="No decision with request id"):
        call_command("replay_decision", "not-a-uuid")
