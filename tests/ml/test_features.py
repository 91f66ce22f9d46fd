"""Edge cases of the feature functions in ``credit_ml.features``."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from credit_ml.features import (
    DEFAULT_ANNUAL_INTEREST_RATE,
    FeatureConfig,
    FeatureInputError,
    annuity_installment,
    debt_service_ratio,
    derive_features,
    principal_for_installment,
)


def _application(**overrides: float) -> dict[str, np.ndarray]:
    values = {
        "monthly_income": 10_000_000.0,
        "existing_monthly_installments": 1_000_000.0,
        "total_existing_debt": 12_000_000.0,
        "loan_amount": 12_000_000.0,
        "loan_term_months": 12.0,
        "annual_interest_rate": 0.12,
        **overrides,
    }
    return {name: np.array([value]) for name, value in values.items()}


def _exact_annuity(principal: int, annual_rate: Fraction, months: int) -> float:
    r = annual_rate / 12
    return float(principal * r / (1 - (1 + r) ** -months))


def test_a_zero_rate_installment_is_the_principal_over_the_term() -> None:
    assert float(annuity_installment(12_000_000, 0.0, 12)) == 1_000_000.0
    assert float(annuity_installment(1_000_000, 0.0, 3)) == pytest.approx(1_000_000 / 3, rel=1e-15)


def test_twelve_million_at_twelve_percent_for_a_year_costs_1_066_185_a_month() -> None:
    expected = _exact_annuity(12_000_000, Fraction(12, 100), 12)
    assert round(expected, 2) == 1_066_185.46
    assert float(annuity_installment(12_000_000, 0.12, 12)) == pytest.approx(expected, rel=1e-12)


def test_annuity_works_row_by_row_on_arrays() -> None:
    installments = annuity_installment([12_000_000, 1_200_000], [0.12, 0.0], [12, 12])
    assert installments == pytest.approx([_exact_annuity(12_000_000, Fraction(12, 100), 12), 1e5])


@pytest.mark.parametrize(("rate", "months"), [(0.0, 6), (0.12, 12), (0.36, 60), (0.2, 1)])
def test_the_inverse_annuity_gives_back_the_principal(rate: float, months: int) -> None:
    installment = annuity_installment(25_000_000, rate, months)
    assert float(principal_for_installment(installment, rate, months)) == pytest.approx(
        25_000_000, rel=1e-12
    )


def test_a_term_of_zero_months_is_an_input_error_naming_the_term() -> None:
    with pytest.raises(FeatureInputError) as excinfo:
        annuity_installment(1_000_000, 0.12, 0)
    assert excinfo.value.field == "loan_term_months"


def test_dsr_is_existing_plus_new_installments_over_income() -> None:
    assert float(debt_service_ratio(1_000_000, 2_000_000, 10_000_000)) == pytest.approx(0.3)


@pytest.mark.parametrize("income", [0.0, -1.0, float("nan"), float("inf")])
def test_dsr_refuses_zero_negative_and_non_finite_income(income: float) -> None:
    with pytest.raises(FeatureInputError) as excinfo:
        debt_service_ratio(1_000_000, 2_000_000, income)
    assert excinfo.value.field == "monthly_income"
    assert str(excinfo.value).startswith("monthly_income: ")


@pytest.mark.parametrize("income", [0.0, float("nan")])
def test_derive_features_refuses_zero_and_nan_income(income: float) -> None:
    with pytest.raises(FeatureInputError) as excinfo:
        derive_features(_application(monthly_income=income))
    assert excinfo.value.field == "monthly_income"


def test_derive_features_computes_every_derived_feature() -> None:
    features = derive_features(_application())
    installment = _exact_annuity(12_000_000, Fraction(12, 100), 12)
    assert {name: float(value[0]) for name, value in features.items()} == pytest.approx(
        {
            "new_installment": installment,
            "dsr": (1_000_000 + installment) / 10_000_000,
            "loan_to_income": 0.1,
            "debt_to_income": 0.1,
            "disposable_income": 10_000_000 - 1_000_000 - installment,
        },
        rel=1e-12,
    )


def test_a_missing_interest_rate_uses_the_default_rate() -> None:
    missing = derive_features(_application(annual_interest_rate=float("nan")))
    stated = derive_features(_application(annual_interest_rate=DEFAULT_ANNUAL_INTEREST_RATE))
    assert DEFAULT_ANNUAL_INTEREST_RATE == 0.18
    assert float(missing["new_installment"][0]) == float(stated["new_installment"][0])


def test_a_missing_interest_rate_uses_the_configured_rate() -> None:
    config = FeatureConfig(default_annual_interest_rate=0.0)
    features = derive_features(_application(annual_interest_rate=float("nan")), config)
    assert float(features["new_installment"][0]) == 1_000_000.0


def test_an_absent_interest_rate_column_uses_the_configured_rate() -> None:
    columns = _application()
    del columns["annual_interest_rate"]
    features = derive_features(columns, FeatureConfig(default_annual_interest_rate=0.0))
    assert float(features["dsr"][0]) == pytest.approx(0.2)


def test_derive_features_refuses_a_term_of_zero() -> None:
    with pytest.raises(FeatureInputError) as excinfo:
        derive_features(_application(loan_term_months=0.0))
    assert excinfo.value.field == "loan_term_months"
