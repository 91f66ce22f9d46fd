"""Audit rows are never changed or deleted: by the models, and on PostgreSQL by triggers."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from audit.models import AppendOnlyError, AuditAccess, AuditCheckpoint, DecisionRecord
from audit.sealing import audit_seal
from tests.audit.conftest import T0, MakeRecords

SEAL_AT = T0.replace(hour=12)


def test_a_saved_record_cannot_be_saved_again(make_records: MakeRecords) -> None:
    (record,) = make_records()
    record.decision = "APPROVE"
    with pytest.raises(AppendOnlyError):
        record.save()
    assert DecisionRecord.objects.get().decision == "REJECT"


def test_a_record_cannot_be_deleted(make_records: MakeRecords) -> None:
    (record,) = make_records()
    with pytest.raises(AppendOnlyError):
        record.delete()
    assert DecisionRecord.objects.count() == 1


def test_checkpoints_and_access_rows_are_append_only_too(make_records: MakeRecords) -> None:
    make_records()
    checkpoint = audit_seal(now=SEAL_AT)
    access = AuditAccess.objects.create(action="VIEW", what={}, row_count=1)
    assert checkpoint is not None
    for row in (checkpoint, access):
        with pytest.raises(AppendOnlyError):
            row.delete()
    assert (AuditCheckpoint.objects.count(), AuditAccess.objects.count()) == (1, 1)


def test_retention_is_ten_years_by_default(settings: Any) -> None:
    from kreditax.settings import base

    assert base.KREDITAX_RETENTION_YEARS == 10


TABLES = ("audit_decisionrecord", "audit_auditcheckpoint", "audit_auditaccess")
STATEMENTS = (
    "UPDATE {table} SET created_at = created_at",
    "DELETE FROM {table}",
    "TRUNCATE {table} CASCADE",
)


@pytest.mark.requires_postgres
@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize("statement", STATEMENTS)
def test_postgres_refuses_update_delete_and_truncate_of_audit_rows(
    make_records: MakeRecords, statement: str, table: str
) -> None:
    make_records(2)
    audit_seal(now=SEAL_AT)
    AuditAccess.objects.create(action="VIEW", what={}, row_count=1)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE refuses pending FK checks
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement.format(table=table))
    counts = (
        DecisionRecord.objects.count(),
        AuditCheckpoint.objects.count(),
        AuditAccess.objects.count(),
    )
    assert counts == (2, 1, 1)


@pytest.mark.requires_postgres
def test_postgres_refuses_a_queryset_delete_that_bypasses_the_model(
    make_records: MakeRecords,
) -> None:
    make_records(1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        DecisionRecord.objects.all()._raw_delete(DecisionRecord.objects.db)
    assert DecisionRecord.objects.count() == 1
