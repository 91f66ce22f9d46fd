"""A rule that rejects is the first reason: its code, its figures in both languages, the
fields it reads, no contribution; model factors fill the rest of the four places."""

from __future__ import annotations

from datetime import date
from typing import Any

from credit_ml.decision import decide, decide_many
from credit_ml.policy import fintech_rule_set, fintech_rule_set_2
from credit_ml.reasons import MAX_REASONS, Reason
from credit_ml.scoring import ScoringModel
from tests.ml.test_policy import application

ON = date(2026, 3, 1)
FINTECH = fintech_rule_set_2()  # the versions from 2026.2 on put failed rules first
STORED_2026_1 = fintech_rule_set()

#: 200,000 + 48,000,000 / 12 at 0 % = 4,200,000 on 12,000,000: a DSR of 35 % (cap 30 %).
OVER_CAP: dict[str, Any] = {
    "monthly_income": 12_000_000.0,
    "existing_monthly_installments": 200_000.0,
    "loan_amount": 48_000_000.0,
    "loan_term_months": 12,
    "annual_interest_rate": 0.0,
}


def test_a_17_year_old_is_rejected_with_the_age_rule_as_first_reason(
    scoring_model: ScoringModel,
) -> None:
    decision = decide(
        scoring_model, application(age=17, work_experience_years=0), rule_set=FINTECH, on=ON
    )
    assert decision.decision == "REJECT"
    first, *factors = decision.reasons
    assert first == Reason(
        code="OJK_MIN_AGE",
        field="age",
        value_id="17 tahun",
        value_en="17",
        contribution=None,
        text_id="Usia 17 tahun, minimal 18 tahun",
        text_en="Age 17, the minimum is 18",
    )
    assert first.to_dict()["contribution"] is None
    assert len(decision.reasons) == MAX_REASONS
    assert all(reason.contribution is not None for reason in factors)
    assert [r.contribution for r in factors] == sorted(
        (r.contribution for r in factors if r.contribution is not None), reverse=True
    )


def test_a_dsr_over_the_cap_says_the_installments_and_income_in_both_languages(
    scoring_model: ScoringModel,
) -> None:
    decision = decide(scoring_model, application(**OVER_CAP), rule_set=FINTECH, on=ON)
    assert decision.decision == "REJECT"
    first = decision.reasons[0]
    assert first.code == "OJK_MAX_REPAYMENT_TO_INCOME"
    assert first.field == (
        "existing_monthly_installments,monthly_income,loan_amount,loan_term_months"
    )
    assert (first.value_id, first.value_en, first.contribution) == ("35 %", "35 %", None)
    assert (
        first.text_id == "Total cicilan Rp 4.200.000 melebihi 30 % dari penghasilan Rp 12.000.000"
    )
    assert first.text_en == (
        "Total installments of IDR 4,200,000 exceed 30 % of the income of IDR 12,000,000"
    )


def test_two_failed_rules_come_first_in_rule_set_order_and_factors_fill_two_places(
    scoring_model: ScoringModel,
) -> None:
    values = application(age=17, work_experience_years=0, **OVER_CAP)
    decision = decide(scoring_model, values, rule_set=FINTECH, on=ON)
    codes = [reason.code for reason in decision.reasons]
    assert codes[:2] == ["OJK_MAX_REPAYMENT_TO_INCOME", "OJK_MIN_AGE"]
    assert len(codes) == MAX_REASONS


def test_an_approved_application_has_only_model_factors(scoring_model: ScoringModel) -> None:
    decision = decide(scoring_model, application(), rule_set=FINTECH, on=ON)
    assert decision.policy.passed
    assert all(reason.contribution is not None for reason in decision.reasons)


def test_the_batch_gives_each_application_the_rule_reasons_it_gets_alone(
    scoring_model: ScoringModel,
) -> None:
    married = application(age=17, work_experience_years=0, marital_status="MARRIED")
    rows = [application(age=17, work_experience_years=0), application(), application(**OVER_CAP)]
    rows.append(married)
    batch = decide_many(scoring_model, rows, rule_set=FINTECH, on=ON)
    alone = [decide(scoring_model, row, rule_set=FINTECH, on=ON) for row in rows]
    assert [d.reasons for d in batch] == [d.reasons for d in alone]
    firsts = [d.reasons[0] for d in batch]
    assert [r.code for r in firsts[::2]] == ["OJK_MIN_AGE", "OJK_MAX_REPAYMENT_TO_INCOME"]
    assert firsts[1].contribution is not None  # passed the rules: model factors only
    assert firsts[3].contribution is not None  # married at 17: the age rule passes


def test_a_rule_set_stored_before_the_setting_keeps_the_model_factors_only(
    scoring_model: ScoringModel,
) -> None:
    """Decisions made under ``fintech-2026.1`` replay identically: its reasons stay the
    model's factors even when a rule rejects."""
    decision = decide(
        scoring_model,
        application(age=17, work_experience_years=0),
        rule_set=STORED_2026_1,
        on=ON,
    )
    assert decision.decision == "REJECT"
    assert decision.failed_rules == ("OJK_MIN_AGE",)
    assert all(reason.contribution is not None for reason in decision.reasons)
    assert "OJK_MIN_AGE" not in [reason.code for reason in decision.reasons]
