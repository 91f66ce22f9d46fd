"""``decide_outcomes``: ``decide_many``'s PD, score, grade, decision and failed rules, column
by column, without explanations; and a rule set's own PD cut-offs (``pd_thresholds``)."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pytest

from credit_ml.decision import decide_many, decide_outcomes
from credit_ml.features import FeatureConfig
from credit_ml.policy import (
    PolicyEvaluator,
    RuleSet,
    bank_rule_set_2,
    fintech_rule_set,
    fintech_rule_set_2,
)
from credit_ml.scaling import DecisionThresholds
from credit_ml.scoring import ScoringModel

ON = date(2026, 6, 1)
STRICT = dataclasses.replace(
    fintech_rule_set_2(), version="fintech-strict", pd_thresholds=DecisionThresholds(0.02, 0.05)
)


@pytest.mark.parametrize(
    "rule_set", [fintech_rule_set(), fintech_rule_set_2(), bank_rule_set_2(0.35), STRICT]
)
def test_outcomes_equal_the_full_decisions(
    scoring_model: ScoringModel, applications: pd.DataFrame, to_records: Any, rule_set: RuleSet
) -> None:
    records = to_records(applications.head(400))
    full = decide_many(scoring_model, records, rule_set=rule_set, on=ON)
    fast = decide_outcomes(scoring_model, records, rule_set=rule_set, on=ON)
    assert fast.errors == {}
    assert fast.probability_of_default.tolist() == [d.probability_of_default for d in full]
    assert fast.credit_score.tolist() == [d.credit_score for d in full]
    assert list(fast.risk_grade) == [d.risk_grade for d in full]
    assert list(fast.decision) == [str(d.decision) for d in full]
    assert list(fast.failed_rules) == [d.failed_rules for d in full]


def test_a_rule_sets_pd_cut_offs_replace_the_models(
    scoring_model: ScoringModel, applications: pd.DataFrame, to_records: Any
) -> None:
    records = to_records(applications.head(400))
    decided = decide_many(scoring_model, records, rule_set=STRICT, on=ON)
    pds = np.array([d.probability_of_default for d in decided])
    expected = np.where(pds < 0.02, "APPROVE", np.where(pds >= 0.05, "REJECT", "REVIEW"))
    assert [str(d.model_decision) for d in decided] == expected.tolist()
    ruled_out = [d for d in decided if d.failed_rules]
    assert {str(d.decision) for d in ruled_out} <= {"REJECT"}
    assert STRICT.to_dict()["pd_thresholds"] == {"approve_below": 0.02, "reject_from": 0.05}
    assert RuleSet.from_dict(STRICT.to_dict()) == STRICT


def test_an_application_that_cannot_be_decided_gets_its_error_in_its_place(
    scoring_model: ScoringModel, applications: pd.DataFrame, to_records: Any
) -> None:
    records = to_records(applications.head(3))
    records[1] = {**records[1], "monthly_income": 0}
    fast = decide_outcomes(scoring_model, records, rule_set=fintech_rule_set_2(), on=ON)
    assert list(fast.errors) == [1]
    assert (fast.decision[1], np.isnan(fast.probability_of_default[1])) == ("", True)
    assert fast.decision[0] in {"APPROVE", "REVIEW", "REJECT"}


def test_rules_without_texts_differ_from_the_full_results_only_by_the_dsr_messages(
    applications: pd.DataFrame, to_records: Any
) -> None:
    records = to_records(applications.head(300))
    evaluator = PolicyEvaluator(fintech_rule_set_2(), on=ON, feature_config=FeatureConfig())
    full = evaluator.evaluate(records)
    bare = evaluator.evaluate(records, texts=False)
    assert bare.errors.keys() == full.errors.keys()
    dsr_results = 0
    for with_texts, without in zip(full.outcomes, bare.outcomes, strict=True):
        if with_texts is None or without is None:
            assert with_texts is without is None
            continue
        for a, b in zip(with_texts.results, without.results, strict=True):
            if a.kind == "max_dsr" and a.in_force:
                dsr_results += 1
                assert (b.message_id, b.message_en) == ("", "")
                assert a.message_en.startswith("DSR ")
                assert dataclasses.replace(b, message_id=a.message_id, message_en=a.message_en) == a
            else:
                assert b == a
    assert dsr_results == len(records) - len(full.errors)
