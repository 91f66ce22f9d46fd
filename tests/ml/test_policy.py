from __future__ import annotations

import json
import math
from datetime import date
from typing import Any

import numpy as np
import pytest

from credit_ml.features import FeatureConfig, FeatureInputError
from credit_ml.policy import (
    AMOUNT_STEP,
    PolicyOutcome,
    Rule,
    RuleKind,
    RuleResult,
    RuleSet,
    Schedule,
    Threshold,
    bank_rule_set,
    counteroffer,
    evaluate_policy,
    fintech_rule_set,
    policy_counteroffer,
)
from credit_ml.schema import INDONESIAN_SCHEMA, validate_record

CONFIG = FeatureConfig()
JAN_2026 = date(2026, 1, 1)

#: A complete API record; helpers below return it cleaned by ``validate_record``.
RECORD: dict[str, Any] = {
    "application_id": "APP-1",
    "full_name": "Siti Rahayu",
    "nik": "3201014101900001",
    "phone": "081234567890",
    "email": "siti@example.com",
    "age": 30,
    "gender": "F",
    "marital_status": "SINGLE",
    "education": "S1",
    "housing_type": "RENT",
    "province": "JAWA_BARAT",
    "employment_status": "PERMANENT",
    "work_experience_years": 5.0,
    "monthly_income": 10_000_000.0,
    "existing_monthly_installments": 250_000.0,
    "total_existing_debt": 3_000_000.0,
    "loan_amount": 12_000_000.0,
    "loan_term_months": 12,
    "annual_interest_rate": 0.0,
    "loan_purpose": "CONSUMER_GOODS",
    "credit_card_utilization": 0.2,
    "past_delinquencies": 0,
    "worst_collectibility_24m": 1,
    "active_lending_platforms": 1,
}


def application(**changes: Any) -> dict[str, Any]:
    """A cleaned application (as the API hands it over) with ``changes`` applied."""
    return validate_record(INDONESIAN_SCHEMA, {**RECORD, **changes}, identity_checks=False)


def annuity(amount: float, annual_rate: float, months: int) -> float:
    r = annual_rate / 12
    return amount / months if r == 0 else amount * r / (1 - (1 + r) ** -months)


def dsr(values: dict[str, Any], *, amount: float, months: int) -> float:
    """The DSR recomputed from the annuity formula, independently of credit_ml.features."""
    installment = annuity(amount, values["annual_interest_rate"], months)
    return float((values["existing_monthly_installments"] + installment) / values["monthly_income"])


def result(outcome: PolicyOutcome, code: str) -> RuleResult:
    return next(r for r in outcome.results if r.code == code)


def fintech(values: dict[str, Any], on: date) -> PolicyOutcome:
    return evaluate_policy(fintech_rule_set(), values, on=on, feature_config=CONFIG)


# --------------------------------------------------------------------------------------
# Schedules
# --------------------------------------------------------------------------------------


def test_a_schedule_sorts_its_thresholds_and_applies_the_latest_one_in_force() -> None:
    schedule = Schedule(
        (Threshold(date(2025, 1, 1), 0.4), Threshold(date(2024, 1, 1), 0.5)),
    )
    assert [t.effective_from for t in schedule.thresholds] == [date(2024, 1, 1), date(2025, 1, 1)]
    assert schedule.value_on(date(2023, 12, 31)) is None
    assert schedule.value_on(date(2024, 1, 1)) == 0.5
    assert schedule.value_on(date(2024, 12, 31)) == 0.5
    assert schedule.value_on(date(2025, 1, 1)) == 0.4


def test_a_none_threshold_suspends_the_rule() -> None:
    schedule = Schedule((Threshold(date(2024, 1, 1), 3.0), Threshold(date(2025, 1, 1), None)))
    assert schedule.value_on(date(2024, 6, 1)) == 3.0
    assert schedule.value_on(date(2025, 6, 1)) is None


def test_a_schedule_refuses_two_thresholds_on_one_date() -> None:
    with pytest.raises(ValueError, match="same date"):
        Schedule((Threshold(date(2024, 1, 1), 0.5), Threshold(date(2024, 1, 1), 0.4)))


# --------------------------------------------------------------------------------------
# Repayment-to-income cap by decision date
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "cap", "since"),
    [
        (date(2024, 6, 1), 0.50, date(2024, 1, 1)),
        (date(2025, 3, 1), 0.40, date(2025, 1, 1)),
        (date(2025, 12, 31), 0.40, date(2025, 1, 1)),
        (date(2026, 1, 1), 0.30, date(2026, 1, 1)),
    ],
)
def test_the_cap_in_force_on_the_decision_date_applies(on: date, cap: float, since: date) -> None:
    dsr_rule = result(fintech(application(), on), "OJK_MAX_REPAYMENT_TO_INCOME")
    assert (dsr_rule.in_force, dsr_rule.limit, dsr_rule.effective_from) == (True, cap, since)


def test_a_dsr_of_42_5_percent_passes_in_2024_and_fails_from_2025() -> None:
    values = application(loan_amount=48_000_000.0)  # 250,000 + 4,000,000 on 10,000,000
    in_2024 = result(fintech(values, date(2024, 12, 31)), "OJK_MAX_REPAYMENT_TO_INCOME")
    in_2025 = result(fintech(values, date(2025, 1, 1)), "OJK_MAX_REPAYMENT_TO_INCOME")
    in_2026 = result(fintech(values, JAN_2026), "OJK_MAX_REPAYMENT_TO_INCOME")
    assert in_2024.actual == pytest.approx(0.425)
    assert (in_2024.passed, in_2025.passed, in_2026.passed) == (True, False, False)
    assert in_2025.message_en == "DSR 42.5 % exceeds the 40 % cap in force since 1 January 2025"
    assert in_2026.message_id == "DSR 42,5 % melebihi batas 30 % yang berlaku sejak 1 Januari 2026"
    assert in_2026.message_en == "DSR 42.5 % exceeds the 30 % cap in force since 1 January 2026"


def test_a_dsr_exactly_at_the_cap_passes() -> None:
    values = application(loan_amount=33_000_000.0)  # 250,000 + 2,750,000 = 30 %
    dsr_rule = result(fintech(values, JAN_2026), "OJK_MAX_REPAYMENT_TO_INCOME")
    assert dsr_rule.passed
    assert dsr_rule.message_en == "DSR 30 % is within the 30 % cap in force since 1 January 2026"


def test_a_dsr_just_above_the_cap_shows_enough_decimals_to_differ() -> None:
    values = application(existing_monthly_installments=250_400.0, loan_amount=33_000_000.0)
    dsr_rule = result(fintech(values, JAN_2026), "OJK_MAX_REPAYMENT_TO_INCOME")
    assert not dsr_rule.passed
    assert dsr_rule.message_en == "DSR 30.004 % exceeds the 30 % cap in force since 1 January 2026"


def test_the_dsr_uses_the_default_rate_when_the_application_has_none() -> None:
    values = application(annual_interest_rate=None)
    dsr_rule = result(fintech(values, JAN_2026), "OJK_MAX_REPAYMENT_TO_INCOME")
    expected = (250_000 + annuity(12_000_000, CONFIG.default_annual_interest_rate, 12)) / 1e7
    assert dsr_rule.actual == pytest.approx(expected, rel=1e-12)


def test_zero_or_missing_income_is_an_input_error_not_a_failed_rule() -> None:
    with pytest.raises(FeatureInputError) as error:
        fintech({**application(), "monthly_income": 0.0}, JAN_2026)
    assert error.value.field == "monthly_income"
    with pytest.raises(FeatureInputError):
        fintech({**application(), "monthly_income": None}, JAN_2026)


# --------------------------------------------------------------------------------------
# Eligibility rules
# --------------------------------------------------------------------------------------


def test_the_income_rule_is_not_in_force_before_2027() -> None:
    values = application(monthly_income=2_500_000.0, existing_monthly_installments=0.0)
    before = result(fintech(values, date(2026, 12, 31)), "OJK_MIN_INCOME")
    after = result(fintech(values, date(2027, 1, 1)), "OJK_MIN_INCOME")
    assert (before.in_force, before.passed, before.limit, before.effective_from) == (
        False,
        True,
        None,
        None,
    )
    assert before.message_en == (
        "Minimum monthly income: not in force on 31 December 2026; applies from 1 January 2027"
    )
    assert (after.in_force, after.passed, after.limit) == (True, False, 3_000_000)
    assert after.message_id == (
        "Penghasilan bulanan Rp 2.500.000 di bawah batas minimal Rp 3.000.000 "
        "yang berlaku sejak 1 Januari 2027"
    )
    assert after.message_en == (
        "Monthly income IDR 2,500,000 is below the minimum of IDR 3,000,000 "
        "in force since 1 January 2027"
    )


def test_income_of_exactly_three_million_meets_the_minimum() -> None:
    values = application(monthly_income=3_000_000.0, existing_monthly_installments=0.0)
    assert result(fintech(values, date(2027, 1, 1)), "OJK_MIN_INCOME").passed


def test_a_married_17_year_old_passes_the_age_rule() -> None:
    age = result(
        fintech(application(age=17, marital_status="MARRIED", work_experience_years=0), JAN_2026),
        "OJK_MIN_AGE",
    )
    assert (age.passed, age.actual, age.limit) == (True, 17, 18)
    assert age.message_en == (
        "Age 17 years is below the minimum of 18 years in force since 1 January 2024, "
        "but a married applicant is eligible at any age"
    )


def test_a_single_17_year_old_fails_the_age_rule() -> None:
    outcome = fintech(application(age=17, work_experience_years=0), JAN_2026)
    age = result(outcome, "OJK_MIN_AGE")
    assert not age.passed
    assert not outcome.passed
    assert age.message_id == (
        "Usia 17 tahun di bawah batas minimal 18 tahun yang berlaku sejak 1 Januari 2024 "
        "dan pemohon tidak berstatus kawin"
    )


def test_an_18_year_old_passes_the_age_rule() -> None:
    age = result(fintech(application(age=18, work_experience_years=0), JAN_2026), "OJK_MIN_AGE")
    assert age.passed
    assert (
        age.message_en == "Age 18 years meets the minimum of 18 years in force since 1 January 2024"
    )


@pytest.mark.parametrize(
    ("active", "counted", "passed"), [(0, 1, True), (2, 3, True), (3, 4, False)]
)
def test_platforms_count_this_loan_on_top_of_the_active_ones(
    active: int, counted: int, passed: bool
) -> None:
    platforms = result(
        fintech(application(active_lending_platforms=active), JAN_2026), "OJK_MAX_LENDING_PLATFORMS"
    )
    assert (platforms.actual, platforms.limit, platforms.passed) == (counted, 3, passed)


def test_three_active_platforms_fail_with_a_readable_message() -> None:
    platforms = result(
        fintech(application(active_lending_platforms=3), JAN_2026), "OJK_MAX_LENDING_PLATFORMS"
    )
    assert platforms.message_en == (
        "Lending platforms including this loan: 4, more than the limit of 3 "
        "in force since 1 January 2024"
    )


def test_platforms_not_provided_pass_and_say_so() -> None:
    platforms = result(
        fintech(application(active_lending_platforms=None), JAN_2026), "OJK_MAX_LENDING_PLATFORMS"
    )
    assert (platforms.passed, platforms.actual) == (True, None)
    assert "not provided" in platforms.message_en
    assert "tidak diisi" in platforms.message_id


def test_max_funding_allows_two_billion_and_not_a_rupiah_more() -> None:
    at_limit = application(loan_amount=2_000_000_000.0, monthly_income=1e9)
    above = {**at_limit, "loan_amount": 2_000_000_001.0}  # beyond the schema: a lender's own spec
    assert result(fintech(at_limit, JAN_2026), "OJK_MAX_FUNDING").passed
    funding = result(fintech(above, JAN_2026), "OJK_MAX_FUNDING")
    assert not funding.passed
    assert funding.message_en == (
        "Loan amount IDR 2,000,000,001 exceeds the maximum of IDR 2,000,000,000 "
        "in force since 1 January 2024"
    )


# --------------------------------------------------------------------------------------
# Outcome, bank rule set, JSON
# --------------------------------------------------------------------------------------


def test_every_rule_is_reported_in_rule_set_order() -> None:
    outcome = fintech(application(), date(2026, 6, 1))
    assert [r.code for r in outcome.results] == [
        "OJK_MAX_REPAYMENT_TO_INCOME",
        "OJK_MAX_LENDING_PLATFORMS",
        "OJK_MIN_AGE",
        "OJK_MIN_INCOME",
        "OJK_MAX_FUNDING",
    ]
    assert [r.in_force for r in outcome.results] == [True, True, True, False, True]
    assert outcome.passed
    assert outcome.rule_set_version == "fintech-2026.1"


def test_an_outcome_serialises_to_json_with_iso_dates() -> None:
    outcome = fintech(application(), date(2026, 6, 1))
    data = json.loads(json.dumps(outcome.to_dict()))
    assert data["decision_date"] == "2026-06-01"
    assert data["passed"] is True
    assert data["results"][0]["effective_from"] == "2026-01-01"
    assert data["results"][3]["effective_from"] is None
    assert data["results"][0]["kind"] == "max_dsr"


def test_the_bank_rule_set_uses_its_own_limit_on_any_date() -> None:
    values = application(loan_amount=40_800_000.0)  # 250,000 + 3,400,000 = 36.5 %
    for limit, passed in ((0.35, False), (0.40, True)):
        outcome = evaluate_policy(
            bank_rule_set(limit), values, on=date(2024, 6, 1), feature_config=CONFIG
        )
        assert [(r.code, r.limit, r.passed) for r in outcome.results] == [
            ("BANK_MAX_DSR", limit, passed)
        ]
    assert bank_rule_set().version == "bank-2026.1-dsr35"
    assert bank_rule_set(0.325).version == "bank-2026.1-dsr32.5"


def test_a_bank_limit_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValueError, match="max_dsr"):
        bank_rule_set(35)


@pytest.mark.parametrize("rule_set", [fintech_rule_set(), bank_rule_set(0.3)])
def test_a_rule_set_survives_a_json_round_trip(rule_set: RuleSet) -> None:
    restored = RuleSet.from_dict(json.loads(json.dumps(rule_set.to_dict())))
    assert restored == rule_set
    assert restored.rules[0].kind is rule_set.rules[0].kind


def test_a_custom_rule_set_round_trips_and_evaluates() -> None:
    data = {
        "name": "fintech",
        "version": "lender-x-1",
        "rules": [
            {
                "code": "OJK_MAX_LENDING_PLATFORMS",
                "kind": "max_platforms",
                "title_id": "Batas platform",
                "title_en": "Platform limit",
                "source": "POJK 40/2024",
                "schedule": [
                    {"effective_from": "2024-01-01", "value": 2},
                    {"effective_from": "2026-01-01", "value": None},
                ],
            }
        ],
    }
    rule_set = RuleSet.from_dict(data)
    assert rule_set.rules[0] == Rule(
        code="OJK_MAX_LENDING_PLATFORMS",
        kind=RuleKind.MAX_PLATFORMS,
        schedule=Schedule(
            (Threshold(date(2024, 1, 1), 2.0), Threshold(date(2026, 1, 1), None)),
        ),
        title_id="Batas platform",
        title_en="Platform limit",
        source="POJK 40/2024",
    )
    values = application(active_lending_platforms=2)
    in_2025 = evaluate_policy(rule_set, values, on=date(2025, 1, 1), feature_config=CONFIG)
    in_2026 = evaluate_policy(rule_set, values, on=date(2026, 1, 1), feature_config=CONFIG)
    assert (in_2025.passed, in_2026.results[0].in_force, in_2026.passed) == (False, False, True)


def test_a_malformed_rule_set_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="Malformed"):
        RuleSet.from_dict({"name": "x", "version": "1"})
    data = fintech_rule_set().to_dict()
    data["rules"][0]["kind"] = "max_everything"
    with pytest.raises(ValueError, match="max_everything"):
        RuleSet.from_dict(data)


# --------------------------------------------------------------------------------------
# Counteroffers
# --------------------------------------------------------------------------------------


def test_counteroffer_amount_and_term_at_18_percent() -> None:
    values = application(
        existing_monthly_installments=1_000_000.0,
        loan_amount=60_000_000.0,
        loan_term_months=24,
        annual_interest_rate=0.18,
    )
    r, room = 0.18 / 12, 0.30 * 10_000_000 - 1_000_000
    expected_amount = math.floor(room * (1 - (1 + r) ** -24) / r / AMOUNT_STEP) * AMOUNT_STEP
    expected_term = math.ceil(-math.log(1 - 60_000_000 * r / room) / math.log(1 + r))
    assert (expected_amount, expected_term) == (40_000_000, 41)

    offer = counteroffer(values, cap=0.30, feature_config=CONFIG)

    assert offer is not None
    assert offer.max_amount == expected_amount
    assert offer.min_term_months == expected_term
    assert dsr(values, amount=expected_amount, months=24) <= 0.30
    assert dsr(values, amount=expected_amount + AMOUNT_STEP, months=24) > 0.30
    assert dsr(values, amount=60_000_000, months=expected_term) <= 0.30
    assert dsr(values, amount=60_000_000, months=expected_term - 1) > 0.30
    assert offer.max_amount_dsr == pytest.approx(dsr(values, amount=expected_amount, months=24))
    assert offer.requested_dsr == pytest.approx(dsr(values, amount=60_000_000, months=24))


def test_counteroffer_at_zero_interest_lands_exactly_on_the_cap() -> None:
    values = application(
        monthly_income=5_000_000.0,
        existing_monthly_installments=500_000.0,
        loan_amount=12_000_000.0,
        loan_term_months=6,
    )
    room = 0.30 * 5_000_000 - 500_000  # 1,000,000 a month
    offer = counteroffer(values, cap=0.30, feature_config=CONFIG)
    assert offer is not None
    assert offer.max_amount == room * 6 == 6_000_000
    assert offer.min_term_months == math.ceil(12_000_000 / room) == 12
    assert offer.max_amount_dsr == pytest.approx(0.30)
    assert offer.min_term_dsr == pytest.approx(0.30)
    assert offer.to_dict() == {
        "cap": 0.30,
        "annual_interest_rate": 0.0,
        "requested_amount": 12_000_000.0,
        "requested_term_months": 6,
        "requested_dsr": 0.5,
        "max_amount": 6_000_000.0,
        "max_amount_dsr": offer.max_amount_dsr,
        "min_term_months": 12,
        "min_term_dsr": offer.min_term_dsr,
    }


def test_no_amount_below_the_schema_minimum_but_a_longer_term() -> None:
    values = application(
        monthly_income=5_000_000.0,
        existing_monthly_installments=1_490_000.0,  # room of 10,000 a month
        loan_amount=1_000_000.0,
        loan_term_months=6,
    )
    offer = counteroffer(values, cap=0.30, feature_config=CONFIG)
    assert offer is not None
    assert offer.max_amount is None  # 60,000 is below the Rp 100,000 minimum
    assert offer.min_term_months == 100


def test_no_counteroffer_when_existing_installments_already_exceed_the_cap() -> None:
    values = application(existing_monthly_installments=3_500_000.0, loan_amount=12_000_000.0)
    assert counteroffer(values, cap=0.30, feature_config=CONFIG) is None
    outcome = fintech(values, JAN_2026)
    assert [r.code for r in outcome.failed] == ["OJK_MAX_REPAYMENT_TO_INCOME"]
    assert policy_counteroffer(outcome, values, feature_config=CONFIG) is None


def test_no_counteroffer_when_the_loan_already_meets_the_cap() -> None:
    assert counteroffer(application(), cap=0.30, feature_config=CONFIG) is None


def test_policy_counteroffer_when_only_the_cap_fails_uses_the_cap_of_the_day() -> None:
    values = application(loan_amount=48_000_000.0)  # 42.5 %
    in_2026 = policy_counteroffer(fintech(values, JAN_2026), values, feature_config=CONFIG)
    in_2024 = policy_counteroffer(fintech(values, date(2024, 6, 1)), values, feature_config=CONFIG)
    assert in_2024 is None  # 42.5 % passes the 50 % cap
    assert in_2026 is not None
    assert (in_2026.cap, in_2026.max_amount, in_2026.min_term_months) == (0.30, 33_000_000, 18)


def test_no_counteroffer_when_another_rule_also_fails() -> None:
    values = application(loan_amount=48_000_000.0, active_lending_platforms=3)
    outcome = fintech(values, JAN_2026)
    assert {r.code for r in outcome.failed} == {
        "OJK_MAX_REPAYMENT_TO_INCOME",
        "OJK_MAX_LENDING_PLATFORMS",
    }
    assert policy_counteroffer(outcome, values, feature_config=CONFIG) is None


def test_rules_whose_fields_the_schema_does_not_collect_are_not_applicable() -> None:
    values = {"duration_in_month": 24.0, "credit_amount": 5000.0}
    outcome = evaluate_policy(
        fintech_rule_set(),
        values,
        on=date(2026, 6, 1),
        feature_config=CONFIG,
        collected=("duration_in_month", "credit_amount", "age"),
    )
    by_code = {r.code: r for r in outcome.results}
    dsr = by_code["OJK_MAX_REPAYMENT_TO_INCOME"]
    assert (dsr.in_force, dsr.passed, dsr.actual, dsr.limit) == (False, True, None, None)
    assert dsr.message_en.endswith(
        "not applicable, the field(s) existing_monthly_installments, monthly_income, "
        "loan_amount, loan_term_months are not collected"
    )
    assert "tidak dikumpulkan" in dsr.message_id
    assert by_code["OJK_MAX_LENDING_PLATFORMS"].message_en.endswith(
        "the field(s) active_lending_platforms are not collected"
    )
    assert by_code["OJK_MIN_AGE"].in_force  # age is collected: the rule applies (and fails)
    assert not by_code["OJK_MIN_AGE"].passed
    assert [r.code for r in outcome.failed] == ["OJK_MIN_AGE"]


def test_without_collected_fields_every_rule_applies_as_before() -> None:
    values = application()
    assert evaluate_policy(
        fintech_rule_set(), values, on=date(2026, 6, 1), feature_config=CONFIG
    ) == evaluate_policy(
        fintech_rule_set(),
        values,
        on=date(2026, 6, 1),
        feature_config=CONFIG,
        collected=INDONESIAN_SCHEMA.names,
    )


def test_numbers_that_are_not_plain_are_read_as_float_reads_them() -> None:
    values = application(loan_amount=48_000_000.0)
    odd = {
        **values,
        "monthly_income": np.float64(values["monthly_income"]),
        "loan_amount": np.float64(values["loan_amount"]),
        "annual_interest_rate": "0.0",
        "existing_monthly_installments": np.int64(250_000),
    }
    outcome = fintech(values, JAN_2026)
    assert fintech(odd, JAN_2026) == outcome
    offer = policy_counteroffer(outcome, values, feature_config=CONFIG)
    assert offer is not None
    assert counteroffer(odd, cap=0.30, feature_config=CONFIG) == offer


def test_a_counteroffer_needs_a_term_in_whole_months() -> None:
    values = application(loan_amount=48_000_000.0)
    with pytest.raises(ValueError, match="cannot convert float NaN to integer"):
        counteroffer({**values, "loan_term_months": float("nan")}, cap=0.30, feature_config=CONFIG)
    with pytest.raises(FeatureInputError, match="loan_term_months: Must be at least 1 month"):
        counteroffer({**values, "loan_term_months": 0.5}, cap=0.30, feature_config=CONFIG)
    fraction = counteroffer({**values, "loan_term_months": 12.7}, cap=0.30, feature_config=CONFIG)
    assert fraction == counteroffer(values, cap=0.30, feature_config=CONFIG)  # 12 months
