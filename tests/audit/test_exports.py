"""Export service: constant-memory streams, neutralised CSV cells, no raw PII, pinned sets."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.contrib.auth.models import User

from audit.exports import (
    COLUMNS,
    ExportFormatError,
    decision_records_export,
    export_manifest,
    neutralise,
)
from audit.models import AuditAccess
from audit.selectors import RecordFilter
from tests.audit.conftest import APPLICANT, MakeRecords


@pytest.mark.parametrize("cell", ["=1+1", "+62812", "-5", "@SUM(A1)", "\tx", "\rx"])
def test_cells_a_spreadsheet_would_run_are_neutralised(cell: str) -> None:
    assert neutralise(cell) == f"'{cell}"


def test_ordinary_cells_are_left_alone() -> None:
    assert neutralise("REJECT") == "REJECT"


def test_a_csv_export_has_a_header_neutralised_cells_and_no_raw_identity(
    compliance: User, make_records: MakeRecords
) -> None:
    make_records(2, actor_name="=HYPERLINK(evil)")
    _, stream = decision_records_export(record_filter=RecordFilter(), fmt="csv", user=compliance)
    text = b"".join(stream).decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == COLUMNS
    assert {row[COLUMNS.index("client_name")] for row in rows[1:]} == {"'=HYPERLINK(evil)"}
    for raw in (APPLICANT["nik"], APPLICANT["full_name"], APPLICANT["phone"], "Melati"):
        assert raw not in text


def test_an_export_is_pinned_to_the_records_that_existed_when_it_started(
    compliance: User, make_records: MakeRecords
) -> None:
    make_records(2)
    access, stream = decision_records_export(
        record_filter=RecordFilter(), fmt="jsonl", user=compliance
    )
    make_records(1)
    lines = b"".join(stream).decode().splitlines()
    assert len(lines) == 2
    assert json.loads(lines[0])["decision"] == "REJECT"
    assert export_manifest(access=access)["row_count"] == 2


def test_an_unknown_format_writes_no_access_row(compliance: User) -> None:
    with pytest.raises(ExportFormatError):
        decision_records_export(record_filter=RecordFilter(), fmt="xlsx", user=compliance)
    assert AuditAccess.objects.count() == 0
