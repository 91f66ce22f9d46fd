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
    if np.any(n < 1):
        raise FeatureInputError("loan_term_months", "Must be at least 1 month.")
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


def _require_income(monthly_income: FloatArray) -> None:
    if np.any(~np.isfinite(monthly_income)) or np.any(monthly_income <= 0):
        raise FeatureInputError("monthly_income", "Must be a positive amount.")


def debt_service_ratio(
    existing_installments: npt.ArrayLike,
    new_installment: npt.ArrayLike,
    monthly_income: npt.ArrayLike,
) -> FloatArray:
    """(existing monthly obligations + new installment) / monthly income."""
    income = _as_float(monthly_income)
    _require_income(income)
    return (_as_float(existing_installments) + _as_float(new_installment)) / income


def derive_features(
    columns: Mapping[str, npt.ArrayLike], config: FeatureConfig = FeatureConfig()
) -> dict[str, FloatArray]:
    """Compute every derived feature of ``INDONESIAN_DERIVED`` from application columns.

    ``columns`` maps field names to equal-length arrays (a DataFrame's columns or one
    application wrapped in one-element arrays). Missing interest uses the configured default.
    """
    income = _as_float(columns["monthly_income"])
    _require_income(income)
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
    return type(value) in _PLAIN and (value is None or math.isfinite(value))


def record_columns(
    records: Sequence[Mapping[str, Any]], names: Iterable[str]
) -> tuple[dict[str, FloatArray], BoolArray]:
    """Float64 columns of cleaned applications, and which applications are plain.

    Column ``name`` holds ``float(value)`` of each application's ``name``, NaN where it is
    ``None`` or missing. An application is plain when each of these values is ``None`` or a
    finite ``int`` or ``float`` (what ``validate_record`` returns); its columns then mean
    exactly what its values do. Any other value (a bool, a string, NaN, a numpy number)
    reads NaN and marks the application not plain, for a caller to hand it to a
    one-application path.
    """
    plain = np.ones(len(records), dtype=np.bool_)
    columns: dict[str, FloatArray] = {}
    for name in dict.fromkeys(names):
        values = [record.get(name) for record in records]
        column: FloatArray | None = None
        if set(map(type, values)) <= _PLAIN:
            try:
                column = np.array(values, dtype=np.float64)
            except OverflowError:  # an int too large for a float
                column = None
        if column is not None:
            non_finite = len(values) - int(np.count_nonzero(np.isfinite(column)))
            if non_finite == values.count(None):  # no NaN or infinity but the Nones
                columns[name] = column
                continue
        ok = [_plain(value) for value in values]
        plain &= np.array(ok, dtype=np.bool_)
        columns[name] = np.array(
            [
                float(v) if good and v is not None else np.nan
                for v, good in zip(values, ok, strict=True)
            ],
            dtype=np.float64,
        )
    return columns, plain


def derivable(columns: Mapping[str, npt.ArrayLike]) -> BoolArray:
    """True for the rows ``derive_features`` computes without ``FeatureInputError``.

    That is a finite, positive ``monthly_income`` and a ``loan_term_months`` of at least 1
    (a missing term is False too: the rows left out can take a one-application path).
    """
    income = _as_float(columns["monthly_income"])
    months = _as_float(columns["loan_term_months"])
    with np.errstate(invalid="ignore"):
        return np.isfinite(income) & (income > 0) & (months >= 1)
