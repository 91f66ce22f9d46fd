from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from audit.models import DecisionRecord, Outcome
from audit.outcomes import outcome_defaulted_by_request
from audit.services import decision_records_create
from registry.models import ModelVersion
from tests.audit.conftest import recorded

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(make_version: Callable[..., ModelVersion]) -> list[DecisionRecord]:
    version = make_version("champion")
    return decision_records_create(decisions=[recorded(version) for _ in range(3)])


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "outcomes.csv"
    path.write_text(text)
    return path


def test_outcomes_are_imported_and_counted(tmp_path: Path, records: list[DecisionRecord]) -> None:
    a, b, _ = (record.request_id for record in records)
    path = _csv(tmp_path, f"request_id,defaulted,observed_at\n{a},1,2026-09-30\n{b},0,2026-10-01\n")
    stdout = StringIO()
    call_command("import_outcomes", str(path), stdout=stdout)
    assert stdout.getvalue() == (
        "2 outcome(s) imported: 2 new, 0 superseding an earlier observation, 1 default(s).\n"
    )
    assert set(Outcome.objects.values_list("request_id", "defaulted", "observed_at")) == {
        (a, True, date(2026, 9, 30)),
        (b, False, date(2026, 10, 1)),
    }


def test_an_outcome_imported_again_is_appended_and_supersedes_the_earlier_one(
    tmp_path: Path, records: list[DecisionRecord]
) -> None:
    a = records[0].request_id
    call_command(
        "import_outcomes",
        str(_csv(tmp_path, f"request_id,defaulted,observed_at\n{a},0,2026-09-30\n")),
        stdout=StringIO(),
    )
    stdout = StringIO()
    call_command(
        "import_outcomes",
        str(_csv(tmp_path, f"request_id,defaulted,observed_at\n{a},1,2026-12-31\n")),
        stdout=stdout,
    )
    assert stdout.getvalue() == (
        "1 outcome(s) imported: 0 new, 1 superseding an earlier observation, 1 default(s).\n"
    )
    assert list(Outcome.objects.values_list("defaulted", "observed_at")) == [
        (True, date(2026, 12, 31)),
        (False, date(2026, 9, 30)),
    ]
    assert outcome_defaulted_by_request([a]) == {a: True}


def test_an_unknown_request_id_refuses_the_whole_file_and_nothing_is_written(
    tmp_path: Path, records: list[DecisionRecord]
) -> None:
    ghost = uuid.UUID(int=7)
    text = (
        "request_id,defaulted,observed_at\n"
        f"{records[0].request_id},1,2026-09-30\n"
        f"{ghost},0,2026-09-30\n"
    )
    with pytest.raises(CommandError) as refused:
        call_command("import_outcomes", str(_csv(tmp_path, text)), stdout=StringIO())
    assert str(refused.value) == (
        f"1 request id(s) match no decision record: {ghost}. Nothing was imported."
    )
    assert Outcome.objects.count() == 0


def test_bad_rows_are_listed_by_line_and_nothing_is_written(
    tmp_path: Path, records: list[DecisionRecord]
) -> None:
    a = records[0].request_id
    text = (
        "request_id,defaulted,observed_at\n"
        f"{a},1,2026-09-30\n"
        "not-a-uuid,0,2026-09-30\n"
        f"{records[1].request_id},yes,2026-09-30\n"
        f"{records[2].request_id},0,30/09/2026\n"
        f"{a},0,2026-09-30\n"
    )
    with pytest.raises(CommandError) as refused:
        call_command("import_outcomes", str(_csv(tmp_path, text)), stdout=StringIO())
    assert str(refused.value) == (
        "4 bad row(s) in outcomes.csv: "
        "line 3: request_id 'not-a-uuid' is not a UUID; "
        "line 4: defaulted must be 0 or 1, not 'yes'; "
        "line 5: observed_at '30/09/2026' is not a date (YYYY-MM-DD); "
        f"line 6: request_id {a} appears twice for the same months on book and date. "
        "Nothing was imported."
    )
    assert Outcome.objects.count() == 0


def test_a_file_without_the_columns_is_refused(tmp_path: Path, db: None) -> None:
    with pytest.raises(
        CommandError,
        match=r"^outcomes.csv lacks column\(s\): observed_at, "
        r"defaulted or days_past_due or collectibility.$",
    ):
        call_command("import_outcomes", str(_csv(tmp_path, "request_id\nx\n")), stdout=StringIO())
    assert Outcome.objects.count() == 0
