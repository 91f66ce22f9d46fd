"""``decide_outcomes``: ``decide_many``'s PD, score, grade, decision and failed rules, column
by column, without explanations; and a rule set's own PD cut-offs (``pd_thresholds``)."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pytest

from credit_ml.artifacts import load_artifact, save_artifact
from credit_ml.decision import OutcomePass, decide_many, decide_outcomes, decide_outcomes_each
from credit_ml.features import FeatureConfig
from credit_ml.policy import (
    PolicyEvaluator,
    RuleSet,
    bank_rule_set_2,
    fintech_rule_set,
    fintech_rule_set_2,
)
from credit_ml.scaling import DecisionThresholds
from credit_ml.schema import INDONESIAN_SCHEMA
from credit_ml.scoring import ScoringModel
from credit_ml.training import TrainConfig, train_model

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


@pytest.fixture(scope="module")
def second_model(
    applications: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory
) -> ScoringModel:
    """Another model of the built-in schema (other seed: other PDs)."""
    config = TrainConfig(n_estimators=20, max_depth=3, learning_rate=0.3, folds=0, seed=11)
    trained = train_model(applications, schema=INDONESIAN_SCHEMA, config=config)
    saved = save_artifact(
        trained, root=tmp_path_factory.mktemp("second"), label="m-second", data_sha256="e" * 64
    )
    return load_artifact(saved.path, expected_sha256=saved.sha256)


def test_passes_made_together_equal_each_one_alone(
    scoring_model: ScoringModel,
    second_model: ScoringModel,
    applications: pd.DataFrame,
    to_records: Any,
) -> None:
    """One reading for all, one model pass per model and one rules evaluation per rule set
    and date give what each pass gives alone, errors included: rows the rules of one set
    refuse, rows no set can decide (no income), rows a rule cannot compare."""
    records = to_records(applications.head(300))
    records[3] = {**records[3], "monthly_income": 0}
    records[7] = {**records[7], "loan_amount": "lots"}
    records[11] = {**records[11], "loan_term_months": 0}
    passes = [
        OutcomePass(scoring_model, fintech_rule_set(), date(2025, 6, 1)),
        OutcomePass(scoring_model, fintech_rule_set_2(), ON),
        OutcomePass(second_model, fintech_rule_set_2(), ON),  # another model, same rules
        OutcomePass(scoring_model, bank_rule_set_2(0.35), date(2027, 2, 1)),
        OutcomePass(second_model, STRICT, ON),
    ]
    together = decide_outcomes_each(records, passes=passes)
    assert len(together) == len(passes)
    decisions = set()
    for p, shared in zip(passes, together, strict=True):
        alone = decide_outcomes(p.model, records, rule_set=p.rule_set, on=p.on)
        assert {i: type(e) for i, e in shared.errors.items()} == {
            i: type(e) for i, e in alone.errors.items()
        }
        assert {3, 7, 11} <= set(shared.errors)
        assert np.array_equal(
            shared.probability_of_default, alone.probability_of_default, equal_nan=True
        )
        assert shared.credit_score.tolist() == alone.credit_score.tolist()
        assert (shared.risk_grade, shared.decision) == (alone.risk_grade, alone.decision)
        assert shared.failed_rules == alone.failed_rules
        decisions.add(shared.decision)
    assert len(decisions) == len(passes)  # the passes do decide differently here
    assert not np.array_equal(
        together[1].probability_of_default, together[2].probability_of_default, equal_nan=True
    )
    assert decide_outcomes_each(records, passes=[]) == []
    (empty,) = decide_outcomes_each([], passes=passes[:1])
    assert (empty.decision, empty.errors) == ((), {})


def test_rules_without_texts_differ_from_the_full_results_only_by_the_messages(
    applications: pd.DataFrame, to_records: Any
) -> None:
    records = to_records(applications.head(300))
    records[5] = {**records[5], "age": None, "marital_status": "MARRIED"}
    records[6] = {**records[6], "age": 17, "marital_status": "SINGLE"}
    records[7] = {**records[7], "active_lending_platforms": None}
    records[8] = {**records[8], "active_lending_platforms": 4}
    records[9] = {**records[9], "loan_amount": 900_000_000}
    on = date(2027, 2, 1)  # the minimum income rule in force too
    seen: Counter[tuple[str, str]] = Counter()
    for rule_set in (fintech_rule_set_2(), bank_rule_set_2(0.35)):
        evaluator = PolicyEvaluator(rule_set, on=on, feature_config=FeatureConfig())
        full = evaluator.evaluate(records)
        bare = PolicyEvaluator(rule_set, on=on, feature_config=FeatureConfig()).evaluate(
            records, texts=False
        )
        assert bare.errors.keys() == full.errors.keys()
        for with_texts, without in zip(full.outcomes, bare.outcomes, strict=True):
            if with_texts is None or without is None:
                assert with_texts is without is None
                continue
            for a, b in zip(with_texts.results, without.results, strict=True):
                if a.in_force:
                    seen[(a.kind, a.state)] += 1
                    assert (b.message_id, b.message_en) == ("", "")
                    assert a.message_en
                    assert a.message_id
                    assert (
                        dataclasses.replace(b, message_id=a.message_id, message_en=a.message_en)
                        == a
                    )
                else:
                    assert b == a
    # every kind of rule in force was compared, passing, failing and not checked
    kinds = {kind for kind, _ in seen}
    assert {"max_dsr", "max_platforms", "min_age", "max_loan_amount"} <= kinds
    assert {state for _, state in seen} >= {"passed", "failed", "not_checked"}
