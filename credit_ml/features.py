"""Feature engineering as pure, vectorised functions.

Every function takes numpy arrays (or scalars) and returns arrays, so one implementation
serves a million-row training frame and a single application on the scoring path.
Money is in rupiah; rates are fractions per year; terms are months.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Interest assumed when an application leaves ``annual_interest_rate`` empty.
DEFAULT_ANNUAL_INTEREST_RATE = 0.18


class FeatureInputError(ValueError):
    """Input that makes a feature undefined (for example zero income); names the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class FeatureConfig:
    default_annual_interest_rate: float = DEFAULT_ANNUAL_INTEREST_RATE


def _as_float(values: npt.ArrayLike) -> FloatArray:
    return np.asarray(values, dtype=np.float64)


def annuity_installment(
    principal: npt.ArrayLike, annual_rate: npt.ArrayLike, months: npt.ArrayLike
) -> FloatArray:
    """Monthly installment ``P * r / (1 - (1 + r) ** -n)`` with ``r`` the monthly rate.

    ``r = 0`` falls back to ``P / n``. ``months`` must be at least 1.
    """
    p, n = _as_float(principal), _as_float(months)
    r = _as_float(annual_rate) / 12.0
    require_term(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        annuity = p * r / (1.0 - np.power(1.0 + r, -n))
    return np.where(r == 0, p / n, annuity)


def principal_for_installment(
    installment: npt.ArrayLike, annual_rate: npt.ArrayLike, months: npt.ArrayLike
) -> FloatArray:
    """The largest principal whose annuity installment is ``installment`` (inverse annuity)."""
    a, n = _as_float(installment), _as_float(months)
    r = _as_float(annual_rate) / 12.0
    with np.errstate(divide="ignore", invalid="ignore"):
        principal = a * (1.0 - np.power(1.0 + r, -n)) / r
    return np.where(r == 0, a * n, principal)


def require_term(months: npt.ArrayLike) -> None:
    """Refuse a loan term under one month (a missing term, NaN, passes)."""
    if np.any(_as_float(months) < 1):
        raise FeatureInputError("loan_term_months", "Must be at least 1 month.")


def require_income(monthly_income: npt.ArrayLike) -> None:
    """Refuse a monthly income that is not a positive amount (zero, negative, NaN, infinite)."""
    income = _as_float(monthly_income)
    if np.any(~np.isfinite(income)) or np.any(income <= 0):
        raise FeatureInputError("monthly_income", "Must be a positive amount.")


def debt_service_ratio(
    existing_installments: npt.ArrayLike,
    new_installment: npt.ArrayLike,
    monthly_income: npt.ArrayLike,
) -> FloatArray:
    """(existing monthly obligations + new installment) / monthly income."""
    income = _as_float(monthly_income)
    require_income(income)
    return (_as_float(existing_installments) + _as_float(new_installment)) / income


def derive_features(
    columns: Mapping[str, npt.ArrayLike], config: FeatureConfig = FeatureConfig()
) -> dict[str, FloatArray]:
    """Compute every derived feature of ``INDONESIAN_DERIVED`` from application columns.

    ``columns`` maps field names to equal-length arrays (a DataFrame's columns or one
    application wrapped in one-element arrays). Missing interest uses the configured default.
    """
    income = _as_float(columns["monthly_income"])
    require_income(income)
    rate = _as_float(columns.get("annual_interest_rate", np.nan))
    rate = np.where(np.isnan(rate), config.default_annual_interest_rate, rate)
    amount = _as_float(columns["loan_amount"])
    existing = _as_float(columns["existing_monthly_installments"])
    installment = annuity_installment(amount, rate, columns["loan_term_months"])
    annual_income = income * 12.0
    return {
        "new_installment": installment,
        "dsr": (existing + installment) / income,
        "loan_to_income": amount / annual_income,
        "debt_to_income": _as_float(columns["total_existing_debt"]) / annual_income,
        "disposable_income": income - existing - installment,
    }


# --------------------------------------------------------------------------------------
# Many cleaned applications as columns
# --------------------------------------------------------------------------------------

#: Value types the array paths read as plain numbers (bool is refused: not a number here).
_PLAIN = frozenset({int, float, type(None)})


def _plain(value: Any) -> bool:
    if type(value) not in _PLAIN:
        return False
    try:
        return value is None or math.isfinite(value)
    except OverflowError:  # an int too large for a float
        return False


def record_columns(
    records: Sequence[Mapping[str, Any]], names: Iterable[str]
) -> tuple[dict[str, FloatArray], BoolArray]:
    """Float64 columns of cleaned applications, and which applications are plain.

    Column ``name`` holds ``float(value)`` of each application's ``name``, NaN where it is
    ``None`` or missing. An application is plain when each of these values is ``None`` or a
    finite ``int`` or ``float`` (what ``validate_record`` returns); its columns then mean
    exactly what its values do. Any other value (a bool, a string, NaN, a numpy number, an
    int too large for a float) reads NaN and marks the application not plain: a caller
    reads such an application's values again one at a time, converting each as it would
    any value (``float``), errors included.
    """
    wanted = list(dict.fromkeys(names))
    block, plain = record_block(records, wanted)
    return dict(zip(wanted, block, strict=True)), plain


def record_block(
    records: Sequence[Mapping[str, Any]], names: Sequence[str]
) -> tuple[FloatArray, BoolArray]:
    """``record_columns`` as one float64 array ``(len(names), len(records))``: row ``j`` is
    the column of ``names[j]``."""
    table = [[record.get(name) for name in names] for record in records]
    cells = [value for row in table for value in row]
    shape = (len(records), len(names))
    if set(map(type, cells)) <= _PLAIN:
        try:
            matrix = np.array(table, dtype=np.float64).reshape(shape)
        except OverflowError:  # an int too large for a float
            matrix = None
        # No NaN or infinity but the Nones: every application is plain.
        if matrix is not None and matrix.size - np.count_nonzero(np.isfinite(matrix)) == (
            cells.count(None)
        ):
            return matrix.T.copy(), np.ones(len(records), dtype=np.bool_)
    ok = [[_plain(value) for value in row] for row in table]
    read = [
        [
            float(value) if good and value is not None else np.nan
            for value, good in zip(row, good_row, strict=True)
        ]
        for row, good_row in zip(table, ok, strict=True)
    ]
    plain = np.array([all(row) for row in ok], dtype=np.bool_).reshape(len(records))
    return np.array(read, dtype=np.float64).reshape(shape).T.copy(), plain


def derivable(columns: Mapping[str, npt.ArrayLike]) -> BoolArray:
    """True for the rows ``derive_features`` computes without ``FeatureInputError``.

    That is a finite, positive ``monthly_income`` and a ``loan_term_months`` of at least 1
    (a missing term is False too, though it derives, to NaN: see ``derive_rows``).
    """
    income = _as_float(columns["monthly_income"])
    months = _as_float(columns["loan_term_months"])
    with np.errstate(invalid="ignore"):
        return np.isfinite(income) & (income > 0) & (months >= 1)


def derive_rows(
    columns: Mapping[str, FloatArray], config: FeatureConfig = FeatureConfig()
) -> tuple[dict[str, FloatArray], dict[int, FeatureInputError]]:
    """``derive_features`` of each row as if it were derived alone.

    The rows ``derive_features`` refuses (zero income, a term under a month) get the error it
    raises for them alone, and NaN features; the others their features. The ``derivable``
    rows are derived in one pass, the few others one by one (a missing term, say, is not
    ``derivable`` but derives, to NaN).
    """
    try:  # the usual case: every row derives
        return derive_features(columns, config), {}
    except FeatureInputError:
        pass
    ok = derivable(columns)
    rows = np.flatnonzero(ok)
    derived = derive_features({name: column[rows] for name, column in columns.items()}, config)
    out = {name: np.full(ok.size, np.nan) for name in derived}
    for name, values in derived.items():
        out[name][rows] = values
    errors: dict[int, FeatureInputError] = {}
    for i in np.flatnonzero(~ok).tolist():
        try:
            alone = derive_features({k: column[i : i + 1] for k, column in columns.items()}, config)
        except FeatureInputError as exc:
            errors[i] = exc
            continue
        for name, values in alone.items():
            out[name][i] = values[0]
    return out, errors
