"""Four states of a rule result, and what "not checked" leads to as rule-set data.

The stored 2026.1 versions (no ``unchecked`` key) keep their meaning, so the decisions made
under them replay identically; ``fintech-2026.2`` sends a rule not checked to REVIEW.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from credit_ml.decision import decide, decide_many
from credit_ml.policy import (
    RuleSet,
    Unchecked,
    bank_rule_set,
    bank_rule_set_2,
    evaluate_policy,
    fintech_rule_set,
    fintech_rule_set_2,
)
from credit_ml.scoring import ScoringModel
from tests.ml.test_policy import CONFIG, application, result

ON = date(2026, 3, 1)
PLATFORMS = "OJK_MAX_LENDING_PLATFORMS"


def test_each_result_says_its_state_and_keeps_passed_and_in_force() -> None:
    values = application(loan_amount=48_000_000.0, active_lending_platforms=None)
    outcome = evaluate_policy(fintech_rule_set_2(), values, on=ON, feature_config=CONFIG)
    states = {r.code: (r.to_dict()["state"], r.in_force, r.passed) for r in outcome.results}
    assert states == {
        "OJK_MAX_REPAYMENT_TO_INCOME": ("failed", True, False),
        PLATFORMS: ("not_checked", True, True),
        "OJK_MIN_AGE": ("passed", True, True),
        "OJK_MIN_INCOME": ("not_in_force", False, True),
        "OJK_MAX_FUNDING": ("passed", True, True),
    }


def test_the_stored_2026_1_version_still_counts_missing_platforms_as_passed() -> None:
    values = application(active_lending_platforms=None)
    outcome = evaluate_policy(fintech_rule_set(), values, on=ON, feature_config=CONFIG)
    platforms = result(outcome, PLATFORMS)
    assert (platforms.state, platforms.passed, outcome.passed, outcome.review) == (
        "not_checked",
        True,
        True,
        False,
    )


def test_fintech_2026_2_sends_a_rule_not_checked_to_review() -> None:
    values = application(active_lending_platforms=None)
    outcome = evaluate_policy(fintech_rule_set_2(), values, on=ON, feature_config=CONFIG)
    assert (outcome.passed, outcome.review, outcome.failed) == (True, True, ())


def test_an_approved_application_without_platforms_becomes_review_only_under_2026_2(
    scoring_model: ScoringModel,
) -> None:
    values = application(active_lending_platforms=None)
    old = decide(scoring_model, values, rule_set=fintech_rule_set(), on=ON)
    new = decide(scoring_model, values, rule_set=fintech_rule_set_2(), on=ON)
    assert (old.model_decision, old.decision) == ("APPROVE", "APPROVE")
    assert (new.model_decision, new.decision) == ("APPROVE", "REVIEW")
    first = new.reasons[0]
    assert (first.code, first.field, first.contribution) == (
        PLATFORMS,
        "active_lending_platforms",
        None,
    )
    assert first.text_en == "Active lending platforms not provided, the maximum is 3"
    assert first.text_id == "Jumlah platform pinjaman aktif tidak diisi, maksimal 3"
    assert old.reasons[0].contribution is not None
    batch = decide_many(
        scoring_model, [application(), values], rule_set=fintech_rule_set_2(), on=ON
    )
    assert batch[1] == new


@pytest.mark.parametrize(
    ("setting", "passed", "review"),
    [
        (Unchecked.PASS, True, False),
        (Unchecked.REJECT, False, False),
        (Unchecked.REVIEW, True, True),
    ],
)
def test_a_rule_may_say_what_it_not_being_checked_leads_to(
    setting: Unchecked, passed: bool, review: bool
) -> None:
    data = fintech_rule_set_2().to_dict()
    data["rules"] = [
        {**rule, "unchecked": str(setting)} if rule["code"] == PLATFORMS else rule
        for rule in data["rules"]
    ]
    rule_set = RuleSet.from_dict(data)
    values = application(active_lending_platforms=None)
    outcome = evaluate_policy(rule_set, values, on=ON, feature_config=CONFIG)
    platforms = result(outcome, PLATFORMS)
    assert (platforms.state, platforms.passed, platforms.review) == ("not_checked", passed, review)


def test_the_new_versions_round_trip_and_the_old_ones_store_no_setting() -> None:
    for rule_set in (fintech_rule_set_2(), bank_rule_set_2()):
        stored = json.loads(json.dumps(rule_set.to_dict()))
        assert RuleSet.from_dict(stored) == rule_set
    assert fintech_rule_set_2().to_dict()["unchecked"] == "review"
    assert (fintech_rule_set_2().version, bank_rule_set_2().version) == (
        "fintech-2026.2",
        "bank-2026.2-dsr35",
    )
    assert bank_rule_set_2().to_dict()["unchecked"] == "pass"
    for old in (fintech_rule_set(), bank_rule_set()):
        data = old.to_dict()
        assert "unchecked" not in data
        assert all("unchecked" not in rule for rule in data["rules"])
        assert RuleSet.from_dict(data).unchecked is None


def test_a_missing_age_still_fails_under_2026_1_and_goes_to_review_under_2026_2() -> None:
    values = {**application(), "age": None}
    old = evaluate_policy(fintech_rule_set(), values, on=ON, feature_config=CONFIG)
    new = evaluate_policy(fintech_rule_set_2(), values, on=ON, feature_config=CONFIG)
    assert [r.code for r in old.failed] == ["OJK_MIN_AGE"]
    assert (result(old, "OJK_MIN_AGE").state, new.failed, new.review) == ("not_checked", (), True)
