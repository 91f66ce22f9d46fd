"""A portfolio run's audit record is append-only, like every audit row."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db import DatabaseError, connection, transaction

from audit.models import AppendOnlyError, PortfolioRunRecord
from portfolio.services import PortfolioRequest, portfolio_run_cancel, portfolio_run_create
from registry.models import ModelVersion


@pytest.fixture
def record(champion: ModelVersion, dirs: dict[str, Path], manager: User) -> PortfolioRunRecord:
    run = portfolio_run_create(
        request=PortfolioRequest(
            data_path=dirs["data"] / "book.parquet", out_path=dirs["out"] / "s.parquet"
        ),
        requested_by=manager,
    )
    portfolio_run_cancel(run_id=run.pk, by=manager)
    return PortfolioRunRecord.objects.get()


def test_a_record_cannot_be_changed_or_deleted(record: PortfolioRunRecord) -> None:
    record.status = "SUCCEEDED"
    with pytest.raises(AppendOnlyError):
        record.save()
    with pytest.raises(AppendOnlyError):
        record.delete()
    assert PortfolioRunRecord.objects.get().status == "CANCELLED"


@pytest.mark.requires_postgres
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_portfoliorunrecord SET status = 'SUCCEEDED'",
        "DELETE FROM audit_portfoliorunrecord",
        "TRUNCATE audit_portfoliorunrecord CASCADE",
    ],
)
def test_postgres_refuses_update_delete_and_truncate(
    record: PortfolioRunRecord, statement: str
) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert PortfolioRunRecord.objects.get().status == "CANCELLED"
