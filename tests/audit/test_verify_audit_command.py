"""``verify_audit`` recomputes every record and checkpoint and lists every one that fails.

The tampering tests disable the append-only triggers as the PostgreSQL superuser, change the
data with raw SQL, and re-enable them, as an attacker with database access would.
"""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from audit.sealing import audit_seal
from tests.audit.conftest import T0, MakeRecords

LATER = T0 + timedelta(hours=3)


def verify(*args: str) -> str:
    out = StringIO()
    call_command("verify_audit", *args, stdout=out)
    return out.getvalue()


def refused(*args: str) -> tuple[str, str]:
    """The listed problems and the error of a verification that fails."""
    out = StringIO()
    with pytest.raises(CommandError) as error:
        call_command("verify_audit", *args, stdout=out)
    return out.getvalue(), str(error.value)


def tamper(sql: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_decisionrecord DISABLE TRIGGER ALL")
        cursor.execute("ALTER TABLE audit_auditcheckpoint DISABLE TRIGGER ALL")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE audit_decisionrecord ENABLE TRIGGER ALL")
        cursor.execute("ALTER TABLE audit_auditcheckpoint ENABLE TRIGGER ALL")


def test_an_untouched_trail_exits_zero(make_records: MakeRecords) -> None:
    make_records(3)
    audit_seal(now=LATER)
    assert (
        verify()
        == "Audit trail holds: 3 records, 1 checkpoints, 0 events, 0 event checkpoints verified.\n"
    )


def test_since_skips_older_checkpoints_but_checks_the_chain(make_records: MakeRecords) -> None:
    make_records(2)
    audit_seal(now=LATER)
    make_records(1, start=T0 + timedelta(days=2))
    audit_seal(now=LATER + timedelta(days=2))
    since = (T0 + timedelta(days=1)).date().isoformat()
    assert (
        verify("--since", since)
        == "Audit trail holds: 1 records, 1 checkpoints, 0 events, 0 event checkpoints verified.\n"
    )


def test_an_altered_unsealed_record_is_named(make_records: MakeRecords) -> None:
    _first, second = make_records(2)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE audit_decisionrecord DISABLE TRIGGER ALL")
        cursor.execute(
            "UPDATE audit_decisionrecord SET credit_score = 800 WHERE id = %s", [second.pk]
        )
    listed, _ = refused()
    assert listed == f"- record {second.request_id} does not match its content hash\n"


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_sealed_record_altered_behind_the_triggers_is_named(
    flushable_audit: None, make_records: MakeRecords
) -> None:
    records = make_records(4)
    audit_seal(now=LATER)
    tamper("UPDATE audit_decisionrecord SET decision = 'APPROVE' WHERE id = %s", [records[2].pk])
    listed, error = refused()
    assert listed == f"- record {records[2].request_id} does not match its content hash\n"
    assert error == (
        "Audit trail does NOT hold: 1 problem(s) in 4 records, 1 checkpoints, 0 events, "
        "0 event checkpoints checked; the "
        f"first: record {records[2].request_id} does not match its content hash"
    )


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_record_deleted_from_a_sealed_range_is_a_count_mismatch(
    flushable_audit: None, make_records: MakeRecords
) -> None:
    records = make_records(4)
    audit_seal(now=LATER)
    tamper("DELETE FROM audit_decisionrecord WHERE id = %s", [records[1].pk])
    listed, _ = refused()
    assert listed == "- checkpoint 1 sealed 4 records, 3 remain\n"


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_record_whose_hash_was_recomputed_still_breaks_its_checkpoint(
    flushable_audit: None, make_records: MakeRecords
) -> None:
    from audit.models import DecisionRecord
    from audit.services import content_hash

    records = make_records(3)
    audit_seal(now=LATER)
    forged = DecisionRecord.objects.get(pk=records[0].pk)
    forged.decision = "APPROVE"
    tamper(
        "UPDATE audit_decisionrecord SET decision = 'APPROVE', content_hash = %s WHERE id = %s",
        [content_hash(forged), forged.pk],
    )
    listed, _ = refused()
    assert listed == "- checkpoint 1 does not match the records it sealed\n"


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_altered_checkpoint_is_named(flushable_audit: None, make_records: MakeRecords) -> None:
    make_records(2)
    audit_seal(now=LATER)
    make_records(2, start=T0 + timedelta(hours=1))
    audit_seal(now=LATER + timedelta(hours=1))
    tamper("UPDATE audit_auditcheckpoint SET record_count = 1 WHERE sequence = %s", [2])
    listed, error = refused()
    assert listed.splitlines() == [
        "- checkpoint 2 does not match its own hash",
        "- checkpoint 2 sealed 1 records, 2 remain",
    ]
    assert error.startswith("Audit trail does NOT hold: 2 problem(s) in 4 records, 2 checkpoints")


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_deleted_checkpoint_breaks_the_chain(
    flushable_audit: None, make_records: MakeRecords
) -> None:
    for hour in range(3):
        make_records(1, start=T0 + timedelta(hours=hour))
        audit_seal(now=LATER + timedelta(hours=hour))
    tamper("DELETE FROM audit_auditcheckpoint WHERE sequence = %s", [2])
    listed, _ = refused()
    assert listed.splitlines() == [
        "- checkpoint 2 is missing",
        "- checkpoint 3 does not chain to the checkpoint before it",
        "- checkpoint 3 sealed 1 records, 2 remain",
    ]


def test_since_takes_a_date() -> None:
    with pytest.raises(CommandError):
        call_command("verify_audit", "--since", "yesterday")


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_every_tampering_is_listed_not_only_the_first(
    flushable_audit: None, make_records: MakeRecords
) -> None:
    sealed = make_records(3)
    audit_seal(now=LATER)
    unsealed = make_records(2, start=T0 + timedelta(hours=5))
    for record in (sealed[0], sealed[2], unsealed[1]):
        tamper("UPDATE audit_decisionrecord SET credit_score = 899 WHERE id = %s", [record.pk])
    tamper(
        "UPDATE audit_auditcheckpoint SET previous_hash = %s WHERE sequence = 1", ["0" * 63 + "1"]
    )
    listed, error = refused()
    assert listed.splitlines() == [
        "- checkpoint 1 does not match its own hash",
        "- checkpoint 1 does not chain to the checkpoint before it",
        f"- record {sealed[0].request_id} does not match its content hash",
        f"- record {sealed[2].request_id} does not match its content hash",
        f"- record {unsealed[1].request_id} does not match its content hash",
    ]
    assert error.startswith("Audit trail does NOT hold: 5 problem(s) in 5 records, 1 checkpoints")


def test_the_listing_stops_at_the_limit_and_counts_the_rest(
    make_records: MakeRecords, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = make_records(3)
    monkeypatch.setattr("audit.sealing.MAX_LISTED_PROBLEMS", 2)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE audit_decisionrecord DISABLE TRIGGER ALL")
        cursor.execute("UPDATE audit_decisionrecord SET credit_score = 899")
    listed, error = refused()
    assert listed.splitlines() == [
        f"- record {records[0].request_id} does not match its content hash",
        f"- record {records[1].request_id} does not match its content hash",
        "- and 1 more",
    ]
    assert error.startswith("Audit trail does NOT hold: 3 problem(s) in 3 records, 0 checkpoints")
