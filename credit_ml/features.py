"""Feature engineering as pure, vectorised functions.

Every function takes numpy arrays (or scalars) and returns arrays, so one implementation
serves a million-row training frame and a single application on the scoring path.
Money is in rupiah; rates are fractions per year; terms are months.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

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
