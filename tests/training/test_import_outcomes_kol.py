"""``import_outcomes`` with days past due and SLIK grades at a months on book."""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from audit.models import DecisionRecord, Outcome
from audit.outcomes import outcome_defaulted_by_request, outcome_statuses
from audit.services import decision_records_create
from registry.models import ModelVersion
from tests.audit.conftest import recorded

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(make_version: Callable[..., ModelVersion]) -> list[DecisionRecord]:
    version = make_version("champion")
    return decision_records_create(decisions=[recorded(version) for _ in range(4)])


def _import(tmp_path: Path, text: str) -> str:
    path = tmp_path / "outcomes.csv"
    path.write_text(text)
    out = StringIO()
    call_command("import_outcomes", str(path), stdout=out)
    return out.getvalue()


def test_grades_and_days_past_due_are_appended_and_read_under_the_definition(
    tmp_path: Path, records: list[DecisionRecord]
) -> None:
    a, b, c, d = (r.request_id for r in records)
    out = _import(
        tmp_path,
        "request_id,observed_at,months_on_book,days_past_due,collectibility\n"
        f"{a},2026-06-30,6,,Kol 3\n"
        f"{b},2026-06-30,6,95,\n"
        f"{c},2026-06-30,6,30,2\n"
        f"{d},2026-06-30,14,200,5\n",
    )
    assert (
        out == "4 outcome(s) imported: 4 new, 0 superseding an earlier observation, 3 default(s).\n"
    )
    out = _import(
        tmp_path,
        "request_id,observed_at,months_on_book,collectibility\n"
        f"{a},2026-07-15,6,1\n"  # a correction of the Kol 3 at 6 months on book
        f"{c},2026-12-31,12,1\n",
    )
    assert (
        out == "2 outcome(s) imported: 0 new, 1 superseding an earlier observation, 0 default(s).\n"
    )
    assert Outcome.objects.count() == 6
    assert outcome_defaulted_by_request([a, b, c, d]) == {a: False, b: True, c: False, d: False}
    statuses = outcome_statuses(request_ids=[a, b, c, d])
    assert [statuses[k].matured for k in (a, b, c, d)] == [False, True, True, True]
    assert statuses[b].default_mob == 6


def test_the_default_definition_comes_from_the_settings(
    tmp_path: Path, records: list[DecisionRecord], settings: Any
) -> None:
    a = records[0].request_id
    _import(tmp_path, f"request_id,observed_at,months_on_book,collectibility\n{a},2026-06-30,6,2\n")
    assert outcome_defaulted_by_request([a]) == {a: False}
    settings.KREDITAX_DEFAULT_KOL = 2
    assert outcome_defaulted_by_request([a]) == {a: True}
    settings.KREDITAX_DEFAULT_MOB = 3
    assert outcome_defaulted_by_request([a]) == {a: False}


def test_bad_grades_and_days_are_listed_and_nothing_is_written(
    tmp_path: Path, records: list[DecisionRecord]
) -> None:
    a, b, c, _ = (r.request_id for r in records)
    text = (
        "request_id,observed_at,months_on_book,days_past_due,collectibility\n"
        f"{a},2026-06-30,6,,6\n"
        f"{b},2026-06-30,-1,10,\n"
        f"{c},2026-06-30,6,ten,\n"
        f"{c},2026-06-30,7,,\n"
    )
    with pytest.raises(CommandError) as refused:
        _import(tmp_path, text)
    assert str(refused.value) == (
        "4 bad row(s) in outcomes.csv: "
        "line 2: collectibility must be a Kol grade 1 to 5, not '6'; "
        "line 3: months_on_book must be a whole number from 0 to 600, not '-1'; "
        "line 4: days_past_due must be a whole number from 0 to 36500, not 'ten'; "
        "line 5: one of defaulted, days_past_due, collectibility must be given. "
        "Nothing was imported."
    )
    assert Outcome.objects.count() == 0
