"""``validate_table`` gives, row for row, what ``validate_record`` gives: the same cleaned
values (types included) for a valid row, the same errors for an invalid one."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from credit_ml import table_validation
from credit_ml.schema import INDONESIAN_SCHEMA, ValidationFailed, validate_record
from credit_ml.synthetic import generate_applications
from credit_ml.table_validation import validate_table

ON = date(2026, 12, 1)


def _nik(base: str, *, day: int, month: int, year2: int, serial: str | None = None) -> str:
    return f"{base[:6]}{day:02d}{month:02d}{year2:02d}{serial or base[12:]}"


#: (column, value) set on one row each: every kind of problem ``validate_record`` reports,
#: values at the bounds, and valid values the column checks leave to ``validate_record``.
MUTATIONS: list[tuple[str, Any]] = [
    ("monthly_income", None),
    ("monthly_income", math.nan),
    ("monthly_income", math.inf),
    ("monthly_income", -math.inf),
    ("monthly_income", 0.5),
    ("monthly_income", 1.0),
    ("monthly_income", 1e10),
    ("monthly_income", 1e10 + 1e-3 * 1e10),
    ("loan_amount", 99_999.0),
    ("loan_amount", 100_000.0),
    ("credit_card_utilization", 1.0000001),
    ("annual_interest_rate", None),
    ("annual_interest_rate", math.nan),
    ("annual_interest_rate", 2.5),
    ("age", 16),
    ("age", 81),
    ("loan_term_months", 0),
    ("loan_term_months", 361),
    ("worst_collectibility_24m", None),
    ("worst_collectibility_24m", 6),
    ("active_lending_platforms", None),
    ("past_delinquencies", 101),
    ("work_experience_years", 70.0),
    ("work_experience_years", None),
    ("existing_monthly_installments", 1e11),
    ("gender", " M"),
    ("gender", "m"),
    ("gender", ""),
    ("gender", None),
    ("education", "S4"),
    ("province", None),
    ("province", "ATLANTIS"),
    ("province", " DKI_JAKARTA "),
    ("full_name", "  "),
    ("full_name", ""),
    ("full_name", "x" * 121),
    ("full_name", " Siti Aminah "),
    ("full_name", " Siti Aminah"),
    ("full_name", "Siti Aminah\u00a0"),
    ("address", "  Jl. Merdeka 1"),
    ("full_name", "José"),
    ("full_name", "Ана"),
    ("full_name", None),
    ("application_id", "a" * 65),
    ("address", None),
    ("address", ""),
    ("address", "y" * 301),
    ("address", "\tJl. Merdeka 1\n"),
    ("phone", "0812 3456 7890"),
    ("phone", "0812-3456-7890"),
    ("phone", "+6281234567890"),
    ("phone", "6281234567"),
    ("phone", "0712345678"),
    ("phone", "08123"),
    ("email", "not-an-email"),
    ("email", "a@b.co\n"),
    ("email", "a@b"),
    ("nik", "123"),
    ("nik", "12345678901234567"),
    ("nik", "abcdefghijklmnop"),
    ("nik", "３１７１０１０１０１９００００１"),
    ("nik", ""),
]


def _nik_mutations(base: str) -> list[tuple[str, Any]]:
    return [
        ("nik", "99" + base[2:]),
        ("nik", base[:2] + "00" + base[4:]),
        ("nik", base[:4] + "00" + base[6:]),
        ("nik", base[:12] + "0000"),
        ("nik", _nik(base, day=31, month=2, year2=90)),
        ("nik", _nik(base, day=29, month=2, year2=1)),
        ("nik", _nik(base, day=0, month=5, year2=90)),
        ("nik", _nik(base, day=40, month=5, year2=90)),
        ("nik", _nik(base, day=72, month=5, year2=90)),
        ("nik", _nik(base, day=15, month=13, year2=90)),
        ("nik", _nik(base, day=15, month=0, year2=90)),
        ("nik", _nik(base, day=2, month=12, year2=26)),
        ("nik", _nik(base, day=1, month=12, year2=26)),
        ("nik", _nik(base, day=15, month=6, year2=25)),
    ]


def _identity_rows(base: str) -> list[dict[str, Any]]:
    """Rows whose NIK's birth date and sex are set against the stated age and gender:
    exact ages, one year more or less on either side of the birthday, two years off,
    29 February births, a woman's NIK (day + 40) with either gender."""
    rows: list[dict[str, Any]] = []
    for birth in (
        date(1990, 12, 1),
        date(1990, 12, 2),
        date(1990, 11, 30),
        date(1990, 6, 15),
        date(1992, 2, 29),
        date(1996, 2, 29),
        date(2000, 1, 1),
        date(1999, 12, 31),
    ):
        exact = ON.year - birth.year - ((birth.month, birth.day) > (ON.month, ON.day))
        for age in (exact - 2, exact - 1, exact, exact + 1, exact + 2):
            for gender, day in (("M", birth.day), ("F", birth.day + 40), ("M", birth.day + 40)):
                nik = _nik(base, day=day, month=birth.month, year2=birth.year % 100)
                rows.append(
                    {"nik": nik, "age": age, "gender": gender, "work_experience_years": 0.0}
                )
    # Dates that are not real, with the age their rolled-over day would give: only the
    # date check refuses them.
    for day, month, year in ((31, 4, 1990), (29, 2, 1990), (30, 2, 1992), (32, 1, 1990)):
        rolled = date(year, month, 1).toordinal() + day - 1
        birth = date.fromordinal(rolled)
        exact = ON.year - birth.year - ((birth.month, birth.day) > (ON.month, ON.day))
        for gender, nik_day in (("M", day), ("F", day + 40)):
            nik = _nik(base, day=nik_day, month=month, year2=year % 100)
            rows.append({"nik": nik, "age": exact, "gender": gender, "work_experience_years": 0.0})
    return rows


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    """Generated applications, each of rows 0, 2, 4, ... changed by one mutation or one
    identity combination; the odd rows are left as generated."""
    base = generate_applications(1_000, 21)
    rows = base.to_dict("records")
    nik = str(rows[0]["nik"])
    changes: list[dict[str, Any]] = [{column: value} for column, value in MUTATIONS]
    changes += [{column: value} for column, value in _nik_mutations(nik)]
    changes += _identity_rows(nik)
    changes += [
        {"age": 20, "work_experience_years": 5.0},
        {"age": 20, "work_experience_years": 5.1},
        {"age": 15 + 3, "work_experience_years": 3.0},
        {"monthly_income": 1_000_000.0, "existing_monthly_installments": 10_000_000.0},
        {"monthly_income": 1_000_000.0, "existing_monthly_installments": 10_000_001.0},
        {"monthly_income": None, "existing_monthly_installments": 1e9},
    ]
    assert 2 * len(changes) <= len(rows)
    for i, change in enumerate(changes):
        rows[2 * i].update(change)
    return pd.DataFrame(rows)


def _table(frame: pd.DataFrame) -> pa.Table:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    return table.select([n for n in INDONESIAN_SCHEMA.names if n in table.column_names])


def _expected(table: pa.Table, on: date) -> list[tuple[str, Any]]:
    """``validate_record`` of each row (its record as the portfolio reads it: NaN is
    missing), as ("ok", cleaned values with their types) or ("errors", errors)."""
    result: list[tuple[str, Any]] = []
    for record in table.to_pylist():
        record = {
            k: None if isinstance(v, float) and math.isnan(v) else v for k, v in record.items()
        }
        try:
            cleaned = validate_record(INDONESIAN_SCHEMA, record, today=on)
        except ValidationFailed as exc:
            result.append(("errors", exc.errors))
            continue
        result.append(("ok", _typed(cleaned)))
    return result


def _typed(values: dict[str, Any]) -> list[tuple[str, type, Any]]:
    return [(name, type(value), value) for name, value in values.items()]


def _actual(table: pa.Table, on: date) -> list[tuple[str, Any]]:
    checked = validate_table(table, INDONESIAN_SCHEMA, on=on)
    result: list[tuple[str, Any]] = [("?", None)] * table.num_rows
    for position, cleaned in zip(checked.positions, checked.records, strict=True):
        result[position] = ("ok", _typed(cleaned))
    for position, errors in checked.errors.items():
        result[position] = ("errors", errors)
    return result


@pytest.mark.parametrize("on", [ON, date(2025, 6, 30), date(2024, 2, 29)])
def test_every_row_gets_what_validate_record_gives_it(frame: pd.DataFrame, on: date) -> None:
    table = _table(frame)
    expected = _expected(table, on)
    assert _actual(table, on) == expected
    kinds = [kind for kind, _ in expected]
    assert kinds.count("errors") > 60
    assert kinds.count("ok") > 100


def test_the_generated_rows_pass_the_column_checks_without_validate_record(
    frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []

    def counted(*args: Any, **kwargs: Any) -> dict[str, Any]:
        calls.append(1)
        return validate_record(*args, **kwargs)

    monkeypatch.setattr(table_validation, "validate_record", counted)
    table = _table(frame.iloc[1::2])  # the rows left as generated
    checked = validate_table(table, INDONESIAN_SCHEMA, on=ON)
    assert len(checked.records) == table.num_rows
    assert calls == []


def test_csv_typed_columns_are_read_as_validate_record_reads_them(frame: pd.DataFrame) -> None:
    """CSV: every number a float (ages and terms too), text as text, an absent optional
    column; a number column read as text is left to ``validate_record`` row by row."""
    table = _table(frame.drop(columns=["address"]))
    numbers = {s.name for s in INDONESIAN_SCHEMA.fields if s.dtype != "str"}
    floats = pa.table(
        {
            name: table.column(name).cast(pa.float64()) if name in numbers else table.column(name)
            for name in table.column_names
        }
    )
    assert _actual(floats, ON) == _expected(floats, ON)
    texts = floats.set_column(
        floats.column_names.index("age"), "age", floats.column("age").cast(pa.string())
    )
    assert _actual(texts, ON) == _expected(texts, ON)


def test_an_empty_table_has_no_rows() -> None:
    empty = _table(generate_applications(5, 1)).slice(0, 0)
    checked = validate_table(empty, INDONESIAN_SCHEMA, on=ON)
    assert (checked.records, checked.positions, checked.errors) == ([], [], {})


def test_a_missing_required_column_fails_every_row_as_validate_record_does() -> None:
    table = _table(generate_applications(20, 2)).drop_columns(["monthly_income"])
    assert _actual(table, ON) == _expected(table, ON)
    assert np.all([kind == "errors" for kind, _ in _actual(table, ON)])
