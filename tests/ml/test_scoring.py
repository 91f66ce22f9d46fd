from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb

from credit_ml.scaling import DecisionThresholds, Outcome, RiskGrades, ScoreScaling
from credit_ml.scoring import ModelOutput, ScoringModel
from credit_ml.training import TrainingResult

Records = Callable[[pd.DataFrame], list[dict[str, Any]]]


@pytest.fixture(scope="module")
def holdout(applications: pd.DataFrame, trained: TrainingResult) -> pd.DataFrame:
    return applications.iloc[trained.test_index[:200]]


@pytest.fixture(scope="module")
def outputs(
    scoring_model: ScoringModel, holdout: pd.DataFrame, to_records: Records
) -> list[ModelOutput]:
    return [scoring_model.score_row(record) for record in to_records(holdout)]


# ---- the loaded model ----------------------------------------------------------------


def test_score_row_gives_the_training_pipelines_pd_on_the_holdout(
    outputs: list[ModelOutput], trained: TrainingResult
) -> None:
    pds = np.array([output.probability_of_default for output in outputs])
    assert np.max(np.abs(pds - trained.pd_holdout[:200])) < 1e-6


def test_score_row_contributions_and_base_value_add_up_to_the_margin(
    outputs: list[ModelOutput],
) -> None:
    for output in outputs:
        total = output.base_value + sum(output.contributions.values())
        assert total == pytest.approx(output.margin, abs=1e-4)
        pd_from_margin = 1.0 / (1.0 + math.exp(-output.margin))
        assert output.probability_of_default == pytest.approx(pd_from_margin, abs=1e-6)


def test_score_rows_gives_what_score_row_gives_for_each_application(
    scoring_model: ScoringModel, holdout: pd.DataFrame, to_records: Records
) -> None:
    records = to_records(holdout.iloc[:20])
    batch = scoring_model.score_rows(records)
    single = [scoring_model.score_row(record) for record in records]
    assert [b.probability_of_default for b in batch] == [s.probability_of_default for s in single]
    assert [b.contributions for b in batch] == [s.contributions for s in single]
    assert [b.credit_score for b in batch] == [s.credit_score for s in single]
    assert scoring_model.score_rows([]) == []


def test_score_row_states_contributions_per_application_field(
    outputs: list[ModelOutput], scoring_model: ScoringModel
) -> None:
    fields = list(dict.fromkeys(scoring_model.encoder.column_groups))
    assert list(outputs[0].contributions) == fields
    assert "housing_type" in fields
    assert "housing_type=OWN" not in fields


def test_score_row_applies_the_manifests_scaling_grades_and_thresholds(
    outputs: list[ModelOutput], scoring_model: ScoringModel
) -> None:
    manifest = scoring_model.manifest
    for output in outputs:
        pd_value = output.probability_of_default
        assert output.credit_score == manifest.scaling.score(pd_value)
        assert output.risk_grade == manifest.grades.grade(pd_value)
        assert output.model_decision == manifest.thresholds.decide(pd_value)
    assert {output.model_decision for output in outputs} == {"APPROVE", "REVIEW", "REJECT"}


def test_score_row_returns_the_encoded_row(
    outputs: list[ModelOutput], scoring_model: ScoringModel, holdout: pd.DataFrame
) -> None:
    assert outputs[0].encoded.dtype == np.float32
    expected = scoring_model.encoder.transform(holdout.iloc[:1])[0]
    assert np.array_equal(outputs[0].encoded, expected, equal_nan=True)


def test_score_row_accepts_missing_optional_fields(
    scoring_model: ScoringModel, holdout: pd.DataFrame, to_records: Records
) -> None:
    record = to_records(holdout.iloc[:1])[0]
    sparse = {
        **record,
        "province": None,
        "annual_interest_rate": None,
        "worst_collectibility_24m": None,
        "active_lending_platforms": None,
    }
    output = scoring_model.score_row(sparse)
    assert 0.0 < output.probability_of_default < 1.0
    columns = scoring_model.encoder.columns
    assert np.isnan(output.encoded[columns.index("worst_collectibility_24m")])
    province = [i for i, c in enumerate(columns) if c.startswith("province=")]
    assert output.encoded[province].sum() == 0.0
    assert all(math.isfinite(value) for value in output.contributions.values())


def test_score_frame_gives_the_training_pipelines_pds(
    scoring_model: ScoringModel, holdout: pd.DataFrame, trained: TrainingResult
) -> None:
    pds = scoring_model.score_frame(holdout)
    assert pds.dtype == np.float64
    assert np.max(np.abs(pds - trained.pd_holdout[:200])) < 1e-6


def test_score_frame_of_an_empty_frame_is_empty(
    scoring_model: ScoringModel, holdout: pd.DataFrame
) -> None:
    assert scoring_model.score_frame(holdout.iloc[:0]).shape == (0,)


def test_the_loaded_booster_predicts_on_one_thread_by_default(scoring_model: ScoringModel) -> None:
    assert _booster_threads(scoring_model) == "1"


def test_set_threads_changes_the_boosters_thread_count(
    scoring_model: ScoringModel,
) -> None:
    scoring_model.set_threads(2)
    try:
        assert _booster_threads(scoring_model) == "2"
        assert scoring_model.n_threads == 2
    finally:
        scoring_model.set_threads(1)


def _booster_threads(model: ScoringModel) -> str:
    assert isinstance(model.booster, xgb.Booster)
    config = json.loads(model.booster.save_config())
    return str(config["learner"]["generic_param"]["nthread"])


# ---- score scaling -------------------------------------------------------------------


def test_base_odds_score_the_base_score_and_doubling_adds_pdo() -> None:
    scaling = ScoreScaling()
    assert scaling.score(1 / 31) == 600  # odds good:bad 30:1
    assert scaling.score(1 / 61) == 650  # 60:1
    assert scaling.score(1 / 16) == 550  # 15:1


def test_scores_are_clamped_to_the_range() -> None:
    scaling = ScoreScaling()
    assert scaling.score(0.0) == 900
    assert scaling.score(1e-9) == 900
    assert scaling.score(1.0) == 250
    assert scaling.score(0.999) == 250


def test_scores_of_an_array_match_score_of_each_value() -> None:
    scaling = ScoreScaling()
    pds = np.array([0.0, 1e-6, 0.01, 1 / 31, 0.1, 0.5, 0.9, 1.0])
    assert scaling.scores(pds).tolist() == [scaling.score(float(p)) for p in pds]
    # 600 + 50 * log2(odds / 30): 99:1 -> 686.1, 9:1 -> 513.1, 1:1 -> 354.7, 1:9 -> 196.2
    assert scaling.scores(pds).tolist() == [900, 900, 686, 600, 513, 355, 250, 250]


def test_scaling_refuses_a_pd_outside_zero_one() -> None:
    with pytest.raises(ValueError, match=re.escape("must lie in [0, 1], got nan")):
        ScoreScaling().score(float("nan"))


def test_scaling_refuses_a_non_positive_pdo() -> None:
    with pytest.raises(ValueError, match=re.escape("pdo must be positive.")):
        ScoreScaling(pdo=0.0)


def test_scaling_round_trips_through_a_dict() -> None:
    scaling = ScoreScaling(base_score=650.0, pdo=40.0, min_score=300)
    assert ScoreScaling.from_dict(json.loads(json.dumps(scaling.to_dict()))) == scaling


# ---- risk grades ---------------------------------------------------------------------


def test_grade_upper_bounds_are_exclusive() -> None:
    grades = RiskGrades()
    assert [grades.grade(p) for p in (0.0, 0.0299, 0.03, 0.0599, 0.06, 0.12, 0.25, 1.0)] == [
        "A",
        "A",
        "B",
        "B",
        "C",
        "D",
        "E",
        "E",
    ]


def test_grades_of_an_array_are_each_values_band() -> None:
    grades = RiskGrades()
    pds = np.array([0.0, 0.03, 0.07, 0.2, 0.25, 0.99, 1.0])
    assert grades.grades(pds).tolist() == ["A", "B", "C", "D", "E", "E", "E"]
    with pytest.raises(ValueError, match=re.escape("must lie in [0, 1], got 1.5")):
        grades.grade(1.5)


def test_bands_must_increase_and_end_at_one() -> None:
    with pytest.raises(ValueError, match=re.escape("must end at 1.0")):
        RiskGrades(bands=(("A", 0.1), ("B", 0.9)))
    with pytest.raises(ValueError, match="positive and increasing"):
        RiskGrades(bands=(("A", 0.2), ("B", 0.1), ("C", 1.0)))


def test_grades_round_trip_through_a_dict() -> None:
    grades = RiskGrades(bands=(("LOW", 0.05), ("HIGH", 1.0)))
    assert RiskGrades.from_dict(json.loads(json.dumps(grades.to_dict()))) == grades


# ---- decision thresholds -------------------------------------------------------------


def test_thresholds_approve_below_review_between_reject_from() -> None:
    thresholds = DecisionThresholds()
    pds = [0.0, 0.0799, 0.08, 0.1999, 0.2, 1.0]
    expected = ["APPROVE", "APPROVE", "REVIEW", "REVIEW", "REJECT", "REJECT"]
    assert thresholds.decisions(pds) == expected
    assert [thresholds.decide(p) for p in pds] == expected
    assert all(type(decision) is Outcome for decision in thresholds.decisions(pds))


def test_equal_thresholds_leave_no_review() -> None:
    thresholds = DecisionThresholds(approve_below=0.1, reject_from=0.1)
    approve, reject = Outcome.APPROVE, Outcome.REJECT
    assert thresholds.decisions([0.0999, 0.1, 0.5]) == [approve, reject, reject]


def test_thresholds_refuse_a_pd_outside_zero_one() -> None:
    with pytest.raises(ValueError, match=re.escape("must lie in [0, 1], got -0.1")):
        DecisionThresholds().decide(-0.1)
    with pytest.raises(ValueError, match=re.escape("must lie in [0, 1].")):
        DecisionThresholds().decisions([0.5, float("nan")])


def test_the_outcome_values_are_the_stored_strings() -> None:
    assert [str(outcome) for outcome in Outcome] == ["APPROVE", "REVIEW", "REJECT"]
    assert json.dumps({"decision": Outcome.REVIEW}) == '{"decision": "REVIEW"}'


def test_thresholds_must_be_ordered() -> None:
    with pytest.raises(ValueError, match="approve_below <= reject_from"):
        DecisionThresholds(approve_below=0.3, reject_from=0.2)


def test_thresholds_round_trip_through_a_dict() -> None:
    thresholds = DecisionThresholds(approve_below=0.05, reject_from=0.3)
    assert DecisionThresholds.from_dict(thresholds.to_dict()) == thresholds
