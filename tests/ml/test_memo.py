from __future__ import annotations

from datetime import date

from credit_ml.features import FeatureConfig
from credit_ml.memo import IdentityMemo
from credit_ml.policy import RuleSet, fintech_rule_set, policy_evaluator
from credit_ml.reasons import reason_builder
from credit_ml.schema import INDONESIAN_SCHEMA


def test_a_memo_reuses_a_value_for_the_same_objects_and_key_only() -> None:
    memo: IdentityMemo[list[int]] = IdentityMemo(2)
    first, twin = [1], [1]  # equal, but not the same object
    built = memo.get((first,), "k", lambda: [10])
    assert memo.get((first,), "k", lambda: [20]) is built
    assert memo.get((twin,), "k", lambda: [30]) == [30]
    assert memo.get((first,), "other", lambda: [40]) == [40]
    # Three entries were built after the first: it has been forgotten, and is built again.
    assert memo.get((first,), "k", lambda: [50]) == [50]


def test_the_evaluator_and_the_reason_builder_are_reused_for_the_same_inputs() -> None:
    rules, day, config = fintech_rule_set(), date(2026, 3, 1), FeatureConfig()
    evaluator = policy_evaluator(rules, on=day, feature_config=config)
    assert policy_evaluator(rules, on=day, feature_config=config) is evaluator
    assert policy_evaluator(rules, on=date(2026, 3, 2), feature_config=config) is not evaluator
    copy = RuleSet.from_dict(rules.to_dict())
    assert policy_evaluator(copy, on=day, feature_config=config) is not evaluator
    builder = reason_builder(("age", "dsr"), schema=INDONESIAN_SCHEMA)
    assert reason_builder(["age", "dsr"], schema=INDONESIAN_SCHEMA) is builder
    assert reason_builder(("dsr", "age"), schema=INDONESIAN_SCHEMA) is not builder
