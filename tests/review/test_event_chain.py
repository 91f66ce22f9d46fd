"""Case events are chained, sealed and verified like decision records; notes encrypted."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from audit.events import audit_event_secret
from audit.models import AuditEvent, AuditEventCheckpoint
from audit.sealing import audit_events_seal, audit_seal, audit_verify
from review.models import ReviewCase
from review.services import case_claim, case_resolve
from tests.review.conftest import RISKY, Decide

NOTE = "Slip gaji Siti Nurhaliza, NIK 3171014101900001, dicek via telepon 0812-3456-7890"


def _resolved_case(decide: Decide, ani: User) -> ReviewCase:
    decide(RISKY)
    case = ReviewCase.objects.get()
    case_claim(case_id=case.pk, user=ani)
    return case_resolve(
        case_id=case.pk, user=ani, decision="REJECT", reason_code="INSUFFICIENT_CAPACITY", note=NOTE
    )


def test_each_step_is_an_event_chained_to_the_one_before(decide: Decide, ani: User) -> None:
    case = _resolved_case(decide, ani)
    events = list(AuditEvent.objects.order_by("sequence"))
    assert [(e.sequence, e.kind, e.actor_name) for e in events] == [
        (1, "CASE_OPENED", "kreditax"),
        (2, "CASE_CLAIMED", "user:ani"),
        (3, "CASE_RESOLVED", "user:ani"),
    ]
    assert events[0].previous_hash == case.decision.content_hash
    assert [e.previous_hash for e in events[1:]] == [e.content_hash for e in events[:-1]]
    assert events[2].payload == {
        "case": case.pk,
        "decision": "REJECT",
        "reason_code": "INSUFFICIENT_CAPACITY",
        "model_decision": "REVIEW",
    }
    assert audit_event_secret(events[2]) == NOTE
    assert "Siti" not in events[2].secret_encrypted
    assert "3171" not in events[2].secret_encrypted


def test_events_are_sealed_and_verify(decide: Decide, ani: User) -> None:
    _resolved_case(decide, ani)
    later = timezone.now() + timedelta(hours=1)
    assert audit_seal(now=later) is not None
    sealed = audit_events_seal(now=later)
    assert sealed is not None
    assert (sealed.sequence, sealed.record_count) == (1, 3)
    result = audit_verify()
    assert (result.ok, result.records_checked, result.events_checked) == (True, 1, 3)
    assert result.event_checkpoints_checked == 1
    out = StringIO()
    call_command("verify_audit", stdout=out)
    assert out.getvalue() == (
        "Audit trail holds: 1 records, 1 checkpoints, 3 events, 1 event checkpoints verified.\n"
    )


def _tamper(sql: str, params: list[int | str]) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)


def test_verify_audit_names_a_tampered_event(decide: Decide, ani: User) -> None:
    case = _resolved_case(decide, ani)
    audit_events_seal(now=timezone.now() + timedelta(hours=1))
    resolved = AuditEvent.objects.get(sequence=3)
    _tamper(
        "UPDATE audit_auditevent SET payload = %s WHERE id = %s",
        [f'{{"case": {case.pk}, "decision": "APPROVE"}}', resolved.pk],
    )
    with pytest.raises(CommandError) as raised:
        call_command("verify_audit", stdout=StringIO())
    request_id = case.decision.request_id
    assert str(raised.value).endswith(
        f"the first: event {request_id} #3 (CASE_RESOLVED) does not match its content hash"
    )


def test_verify_audit_names_a_removed_event(decide: Decide, ani: User) -> None:
    case = _resolved_case(decide, ani)
    claimed = AuditEvent.objects.get(sequence=2)
    _tamper("DELETE FROM audit_auditevent WHERE id = %s", [claimed.pk])
    result = audit_verify()
    request_id = case.decision.request_id
    assert result.problems == (
        f"event {request_id} #3 (CASE_RESOLVED) is out of place: #2 expected (an event is missing)",
        f"event {request_id} #3 (CASE_RESOLVED) does not chain to the event before it",
    )
    assert AuditEventCheckpoint.objects.count() == 0


@pytest.mark.requires_postgres
@pytest.mark.parametrize("table", ["audit_auditevent", "audit_auditeventcheckpoint"])
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE {table} SET created_at = created_at",
        "DELETE FROM {table}",
        "TRUNCATE {table} CASCADE",
    ],
)
def test_postgres_refuses_to_change_events_and_their_checkpoints(
    decide: Decide, statement: str, table: str
) -> None:
    from django.db import DatabaseError, transaction

    decide(RISKY)
    audit_events_seal(now=timezone.now() + timedelta(hours=1))
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement.format(table=table))
    assert (AuditEvent.objects.count(), AuditEventCheckpoint.objects.count()) == (1, 1)
