"""``validate_record`` over an Arrow table: column checks that pass the plain rows at once.

A portfolio holds millions of rows, nearly all of them valid. ``validate_table`` checks
each column of a table in array passes and finds the rows that certainly pass
``validate_record`` (the "plain" rows); their cleaned values are read straight from the
columns. Every other row, and every row of a column of an unexpected type, goes through
``validate_record`` itself, which gives its exact errors (or its cleaned values: the
column checks may doubt a valid row, never pass an invalid one). So the result is, row
for row, what ``validate_record(schema, record, today=on)`` gives; the tests compare both
on generated good and bad rows.

The column checks are deliberately narrower than ``validate_record`` where being exact
would take more code than it saves time: a text whose first or last character is not
printable ASCII (it might need stripping), a phone with spaces or dashes, a NIK whose
birth date gives an age other than the stated one (the one-year window) are all left to
``validate_record``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from credit_ml.identity import BIRTHDAY_WINDOW_DAYS, EMAIL_PATTERN, PHONE_PATTERN
from credit_ml.schema import (
    PROVINCE_CODES,
    WORKING_AGE,
    ApplicationSchema,
    FieldSpec,
    ValidationFailed,
    validate_record,
)

BoolArray = npt.NDArray[np.bool_]

# A text that needs no stripping: printable ASCII other than space at both ends.
_TRIMMED_START = "^[!-~]"
_TRIMMED_END = "[!-~]$"
# A NIK whose every part ``parse_nik`` checks can be read from fixed positions.
_NIK_DIGITS = "^[0-9]{16}$"
_SOME_NIK = "1101010101000001"
_MONTH_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


@dataclass(frozen=True)
class ValidatedTable:
    """What ``validate_record`` gives each row of a table: the cleaned values of the valid
    rows (``records``, in order) with their ``positions``, and each invalid row's errors
    (field to messages) by position."""

    records: list[dict[str, Any]]
    positions: list[int]
    errors: dict[int, dict[str, list[str]]]


def validate_table(table: pa.Table, schema: ApplicationSchema, *, on: date) -> ValidatedTable:
    """Each row of ``table`` (its columns of ``schema``; others are ignored, a null or NaN
    cell is a missing value) validated as ``validate_record(..., today=on)`` validates it."""
    n = table.num_rows
    columns = {
        name: read_column(table, name) for name in schema.names if name in table.column_names
    }
    plain = np.ones(n, dtype=np.bool_)
    cleaned: dict[str, pa.Array] = {}
    for spec in schema.fields:
        column = columns.get(spec.name)
        if column is None:
            column = pa.nulls(n, pa.string() if spec.dtype == "str" else pa.float64())
        ok, value = (
            _checked_string(spec, column) if spec.dtype == "str" else _checked_number(spec, column)
        )
        plain &= ok
        cleaned[spec.name] = value
    plain &= _identity_ok(cleaned, n, on) & _consistent(cleaned)
    return _result(columns, cleaned, plain, schema, on)


def read_column(table: pa.Table, name: str) -> pa.Array:
    """A column as one array, NaN read as null (as the portfolio reads it)."""
    column = table.column(name).combine_chunks()
    if pa.types.is_floating(column.type):
        column = pc.if_else(pc.is_nan(column), pa.scalar(None, column.type), column)
    return column


def _mask(array: pa.Array) -> BoolArray:
    """A boolean array as numpy, null read as False."""
    return np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False), dtype=np.bool_)


def _checked_string(spec: FieldSpec, column: pa.Array) -> tuple[BoolArray, pa.Array]:
    """Which rows' values certainly pass ``_coerce_string`` unchanged, and the column."""
    valid = _mask(pc.is_valid(column))
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return (~valid & (not spec.required)), pa.nulls(len(column), pa.string())
    ok = pc.and_(
        pc.match_substring_regex(column, _TRIMMED_START),
        pc.match_substring_regex(column, _TRIMMED_END),
    )
    if spec.max_length is not None:
        ok = pc.and_(ok, pc.less_equal(pc.utf8_length(column), spec.max_length))
    if spec.choices:
        ok = pc.and_(ok, pc.is_in(column, value_set=pa.array(spec.choices, column.type)))
    return np.where(valid, _mask(ok), not spec.required), column.cast(pa.string())


def _checked_number(spec: FieldSpec, column: pa.Array) -> tuple[BoolArray, pa.Array]:
    """Which rows' values certainly pass ``_coerce_number``, and the column as it makes
    them (``int`` or ``float``)."""
    n = len(column)
    valid = _mask(pc.is_valid(column))
    kind = pa.int64() if spec.dtype == "int" else pa.float64()
    if not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)):
        return (~valid & (not spec.required)), pa.nulls(n, kind)
    number = np.asarray(
        pc.fill_null(column.cast(pa.float64(), safe=False), 0.0).to_numpy(zero_copy_only=False),
        dtype=np.float64,
    )
    ok = np.isfinite(number)
    if spec.dtype == "int":
        ok &= number == np.trunc(np.where(ok, number, 0.0))
    if spec.minimum is not None:
        ok &= number >= spec.minimum
    if spec.maximum is not None:
        ok &= number <= spec.maximum
    ok = np.where(valid, ok, not spec.required)
    safe = np.where(ok & valid, number, 0.0)
    values = safe.astype(np.int64) if spec.dtype == "int" else safe
    return ok, pa.array(values, kind, mask=~valid)


def _identity_ok(cleaned: Mapping[str, pa.Array], n: int, on: date) -> BoolArray:
    """Rows whose NIK, phone and e-mail (where given) certainly pass ``identity_problems``
    and ``nik_cross_problems`` on ``on``."""
    ok = np.ones(n, dtype=np.bool_)
    for name, pattern in (("phone", PHONE_PATTERN), ("email", EMAIL_PATTERN)):
        if name in cleaned:
            ok &= _given_matches(cleaned[name], pattern)
    if "nik" in cleaned:
        ok &= _nik_ok(cleaned, on)
    return ok


def _given_matches(column: pa.Array, pattern: str) -> BoolArray:
    """Null rows, and rows whose value matches ``pattern`` (RE2: ``$`` is the text's end)."""
    given = _mask(pc.is_valid(column))
    matches: BoolArray = ~given | _mask(pc.match_substring_regex(column, pattern))
    return matches


def _nik_ok(cleaned: Mapping[str, pa.Array], on: date) -> BoolArray:
    """Rows without a NIK, and rows whose NIK ``parse_nik`` accepts on ``on`` and whose sex
    and exact age on ``on`` are the stated ``gender`` and ``age`` (where given)."""
    nik = cleaned["nik"]
    given = _mask(pc.is_valid(nik))
    digits = _mask(pc.match_substring_regex(nik, _NIK_DIGITS))
    text = pc.if_else(pa.array(digits), nik, _SOME_NIK)

    def part(start: int, stop: int) -> npt.NDArray[np.int64]:
        sliced = pc.utf8_slice_codeunits(text, start, stop)
        return np.asarray(sliced.cast(pa.int64()).to_numpy(zero_copy_only=False))

    province = _mask(pc.is_in(pc.utf8_slice_codeunits(text, 0, 2), pa.array(PROVINCE_CODES)))
    raw_day, month, year2 = part(6, 8), part(8, 10), part(10, 12)
    female = raw_day > 40
    day = np.where(female, raw_day - 40, raw_day)
    ok = digits & province & (part(2, 4) != 0) & (part(4, 6) != 0) & (part(12, 16) != 0)
    # ``identity_problems`` parses it as of the real today, ``nik_cross_problems`` on ``on``.
    ok &= _born(year2, month, day, date.today())[1]
    year, real = _born(year2, month, day, on)
    ok &= real & _sex_matches(cleaned, female) & _age_matches(cleaned, year, month, day, on)
    passes: BoolArray = ~given | ok
    return passes


def _born(
    year2: npt.NDArray[np.int64],
    month: npt.NDArray[np.int64],
    day: npt.NDArray[np.int64],
    today: date,
) -> tuple[npt.NDArray[np.int64], BoolArray]:
    """``parse_nik``'s birth year (the latest past century as of ``today``) and whether the
    date is real and not after ``today``."""
    year = np.where(2000 + year2 <= today.year, 2000 + year2, 1900 + year2)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_days = _MONTH_DAYS[np.clip(month, 1, 12) - 1] + ((month == 2) & leap)
    real = (month >= 1) & (month <= 12) & (day >= 1) & (day <= month_days)
    key = year * 10_000 + month * 100 + day
    return year, real & (key <= today.year * 10_000 + today.month * 100 + today.day)


def _sex_matches(cleaned: Mapping[str, pa.Array], female: BoolArray) -> BoolArray:
    if "gender" not in cleaned:
        return np.ones(len(female), dtype=np.bool_)
    gender = cleaned["gender"]
    stated = np.asarray(pc.fill_null(gender, "").to_numpy(zero_copy_only=False), dtype=object)
    matches: BoolArray = ~np.isin(stated, ["M", "F"]) | (stated == np.where(female, "F", "M"))
    return matches


def _age_matches(
    cleaned: Mapping[str, pa.Array],
    year: npt.NDArray[np.int64],
    month: npt.NDArray[np.int64],
    day: npt.NDArray[np.int64],
    on: date,
) -> BoolArray:
    """No age, or an age that fits the birth date on ``on`` (``identity.age_matches_birth``:
    the exact age, or one more or less within ``BIRTHDAY_WINDOW_DAYS`` of the birthday);
    only meaningful where the date is real."""
    if "age" not in cleaned:
        return np.ones(len(year), dtype=np.bool_)
    age = cleaned["age"]
    month, day = np.clip(month, 1, 12), np.clip(day, 1, 31)  # only real dates count
    this_year = _birthday(np.full_like(year, on.year), month, day)
    today = np.datetime64(on, "D")
    exact = on.year - year - (this_year > today)
    stated = np.asarray(pc.fill_null(age, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
    window = np.timedelta64(BIRTHDAY_WINDOW_DAYS, "D")
    after = _birthday(year + exact + 1, month, day) - today <= window
    before = today - _birthday(year + exact, month, day) <= window
    fits = (stated == exact) | ((stated == exact + 1) & after) | ((stated == exact - 1) & before)
    matches: BoolArray = ~_mask(pc.is_valid(age)) | fits
    return matches


def _birthday(
    year: npt.NDArray[np.int64], month: npt.NDArray[np.int64], day: npt.NDArray[np.int64]
) -> npt.NDArray[np.datetime64]:
    """``identity._birthday`` over arrays: the day in ``year`` (29 February falls on 1 March
    in other years; a day past the month's end runs into the next, which a real date never
    does)."""
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    moved = (month == 2) & (day == 29) & ~leap
    month, day = np.where(moved, 3, month), np.where(moved, 1, day)
    months = ((year - 1970) * 12 + month - 1).astype("datetime64[M]")
    days: npt.NDArray[np.datetime64] = months.astype("datetime64[D]") + (day - 1).astype(
        "timedelta64[D]"
    )
    return days


def _consistent(cleaned: Mapping[str, pa.Array]) -> BoolArray:
    """Rows ``consistency_problems`` certainly finds nothing in."""
    n = len(next(iter(cleaned.values())))
    ok = np.ones(n, dtype=np.bool_)
    if {"age", "work_experience_years"} <= cleaned.keys():
        age, experience = _floats(cleaned["age"]), _floats(cleaned["work_experience_years"])
        with np.errstate(invalid="ignore"):  # NaN: not given, not compared
            ok &= ~(experience > np.maximum(age - WORKING_AGE, 0))
    if {"monthly_income", "existing_monthly_installments"} <= cleaned.keys():
        income = _floats(cleaned["monthly_income"])
        existing = _floats(cleaned["existing_monthly_installments"])
        with np.errstate(invalid="ignore"):
            ok &= ~(existing > 10 * income)
    return ok


def _floats(column: pa.Array) -> npt.NDArray[np.float64]:
    return np.asarray(
        pc.fill_null(column.cast(pa.float64()), np.nan).to_numpy(zero_copy_only=False),
        dtype=np.float64,
    )


def _result(
    columns: Mapping[str, pa.Array],
    cleaned: Mapping[str, pa.Array],
    plain: BoolArray,
    schema: ApplicationSchema,
    on: date,
) -> ValidatedTable:
    """The plain rows' cleaned values from the columns, the others' from
    ``validate_record`` (each row's record: its columns of the table, as read)."""
    found: dict[int, dict[str, Any]] = {}
    rows = np.flatnonzero(plain)
    if rows.size:
        picked = pa.table(dict(cleaned)).take(pa.array(rows))
        found.update(zip(rows.tolist(), picked.to_pylist(), strict=True))
    errors: dict[int, dict[str, list[str]]] = {}
    doubtful = np.flatnonzero(~plain)
    if doubtful.size:
        read = _records(columns, doubtful)
        for i, record in zip(doubtful.tolist(), read, strict=True):
            try:
                found[i] = validate_record(schema, record, today=on)
            except ValidationFailed as exc:
                errors[i] = exc.errors
    positions = sorted(found)
    return ValidatedTable([found[i] for i in positions], positions, errors)


def _records(
    columns: Mapping[str, pa.Array], rows: npt.NDArray[np.intp]
) -> Sequence[dict[str, Any]]:
    if not columns:
        return [{} for _ in rows]
    read: list[dict[str, Any]] = pa.table(dict(columns)).take(pa.array(rows)).to_pylist()
    return read
