"""A counteroffer's shortest term stays within the rule set's longest term.

Old stored rule sets (no ``max_term_months``) keep the schema's maximum, so they replay
identically; fintech-2026.2 allows 24 months, bank-2026.2 360.
"""

from __future__ import annotations

from datetime import date

import pytest

from credit_ml.decision import decide, decide_many
from credit_ml.policy import (
    RuleSet,
    bank_rule_set_2,
    evaluate_policy,
    fintech_rule_set,
    fintech_rule_set_2,
    policy_counteroffer,
)
from credit_ml.scoring import ScoringModel
from tests.ml.test_policy import CONFIG, application

ON = date(2026, 3, 1)
#: 3,300,000 + 12,000,000 / 24 at 0 % on 12,000,000: 31.7 % over the 30 % cap; 300,000 of
#: room under it takes 40 months at the requested amount, or 7,200,000 at 24 months.
OVER = application(
    monthly_income=12_000_000.0,
    existing_monthly_installments=3_300_000.0,
    loan_amount=12_000_000.0,
    loan_term_months=24,
    annual_interest_rate=0.0,
)


def test_the_old_fintech_version_offers_a_term_up_to_the_schema_maximum() -> None:
    outcome = evaluate_policy(fintech_rule_set(), OVER, on=ON, feature_config=CONFIG)
    offer = policy_counteroffer(outcome, OVER, feature_config=CONFIG)
    assert offer is not None
    assert (offer.min_term_months, offer.max_amount) == (40, 7_200_000.0)


def test_fintech_2026_2_offers_no_term_beyond_24_months_only_the_smaller_amount(
    scoring_model: ScoringModel,
) -> None:
    rules = fintech_rule_set_2()
    outcome = evaluate_policy(rules, OVER, on=ON, feature_config=CONFIG)
    offer = policy_counteroffer(
        outcome, OVER, feature_config=CONFIG, max_term_months=rules.max_term_months
    )
    assert offer is not None
    assert (offer.min_term_months, offer.max_amount) == (None, 7_200_000.0)
    decision = decide(scoring_model, OVER, rule_set=rules, on=ON)
    assert decision.counteroffer == offer
    (batched, _) = decide_many(scoring_model, [OVER, application()], rule_set=rules, on=ON)
    assert batched.counteroffer == offer
    old = decide(scoring_model, OVER, rule_set=fintech_rule_set(), on=ON)
    assert old.counteroffer is not None
    assert old.counteroffer.min_term_months == 40


def test_a_term_within_the_limit_is_still_offered() -> None:
    values = {**OVER, "loan_amount": 6_000_000.0, "loan_term_months": 12}  # 20 months do
    rules = fintech_rule_set_2()
    outcome = evaluate_policy(rules, values, on=ON, feature_config=CONFIG)
    offer = policy_counteroffer(outcome, values, feature_config=CONFIG, max_term_months=24)
    assert offer is not None
    assert offer.min_term_months == 20


def test_the_limit_is_rule_set_data_and_old_definitions_have_none() -> None:
    assert fintech_rule_set_2().to_dict()["max_term_months"] == 24
    assert bank_rule_set_2().to_dict()["max_term_months"] == 360
    assert "max_term_months" not in fintech_rule_set().to_dict()
    assert RuleSet.from_dict(fintech_rule_set().to_dict()).max_term_months is None
    assert RuleSet.from_dict(fintech_rule_set_2().to_dict()) == fintech_rule_set_2()
    for bad in (0, 12.5, "x", True):
        with pytest.raises(ValueError, match="max_term_months must be a whole number"):
            RuleSet.from_dict({**fintech_rule_set_2().to_dict(), "max_term_months": bad})
