"""LightGBM as the alternative algorithm: same encoder, constraints, metrics and scoring."""

from __future__ import annotations

import json
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from credit_ml.artifacts import load_artifact, save_artifact
from credit_ml.schema import INDONESIAN_SCHEMA
from credit_ml.scoring import ScoringModel
from credit_ml.training import TrainConfig, TrainingResult, train_model
from tests.ml.conftest import DATA_SHA256, Records

CONFIG = TrainConfig(algorithm="lightgbm", n_estimators=30, max_depth=3, folds=3, seed=11)


@pytest.fixture(scope="module")
def lgb_trained(applications: pd.DataFrame) -> TrainingResult:
    return train_model(applications, schema=INDONESIAN_SCHEMA, config=CONFIG)


@pytest.fixture(scope="module")
def lgb_model(
    lgb_trained: TrainingResult, tmp_path_factory: pytest.TempPathFactory
) -> ScoringModel:
    saved = save_artifact(
        lgb_trained, root=tmp_path_factory.mktemp("models"), label="lgb-1", data_sha256=DATA_SHA256
    )
    return load_artifact(saved.path, expected_sha256=saved.sha256)


def test_lightgbm_trains_with_cv_holdout_metrics_importance_and_fairness(
    lgb_trained: TrainingResult,
) -> None:
    assert isinstance(lgb_trained.booster, lgb.Booster)
    assert 0.6 < lgb_trained.metrics["auc"] <= 1.0
    assert len(lgb_trained.metrics["cv_auc_folds"]) == 3
    assert set(lgb_trained.importance) <= {s.name for s in INDONESIAN_SCHEMA.model_fields} | {
        d.name for d in INDONESIAN_SCHEMA.derived
    }
    assert all(value >= 0 for value in lgb_trained.importance.values())
    assert list(lgb_trained.fairness) == ["age", "gender", "marital_status"]


def test_lightgbm_training_is_deterministic(
    applications: pd.DataFrame, lgb_trained: TrainingResult
) -> None:
    again = train_model(applications, schema=INDONESIAN_SCHEMA, config=CONFIG)
    np.testing.assert_array_equal(again.pd_holdout, lgb_trained.pd_holdout)


def test_lightgbm_gets_the_monotone_constraints(lgb_trained: TrainingResult) -> None:
    params = lgb_trained.booster.params if hasattr(lgb_trained.booster, "params") else {}
    assert any(lgb_trained.monotone_constraints)
    assert list(params.get("monotone_constraints", [])) == list(lgb_trained.monotone_constraints)


def test_the_artifact_holds_lightgbms_text_model_and_names_the_algorithm(
    lgb_trained: TrainingResult, tmp_path: Path
) -> None:
    saved = save_artifact(lgb_trained, root=tmp_path, label="lgb-2", data_sha256=DATA_SHA256)
    names = sorted(p.name for p in saved.path.iterdir() if p.is_file())
    assert names == ["encoder.json", "manifest.json", "model.txt"]
    manifest = json.loads((saved.path / "manifest.json").read_text())
    assert manifest["algorithm"] == "lightgbm"
    assert manifest["library_versions"]["lightgbm"] == lgb.__version__


def test_the_loaded_model_scores_the_holdout_as_training_did(
    lgb_trained: TrainingResult, lgb_model: ScoringModel, applications: pd.DataFrame
) -> None:
    holdout = applications.take(lgb_trained.test_index)
    np.testing.assert_allclose(lgb_model.score_frame(holdout), lgb_trained.pd_holdout, rtol=1e-6)


def test_score_rows_match_score_frame_and_contributions_add_up_to_the_margin(
    lgb_model: ScoringModel, applications: pd.DataFrame, to_records: Records
) -> None:
    frame = applications.head(20)
    outputs = lgb_model.score_rows(to_records(frame))
    pds = np.array([o.probability_of_default for o in outputs])
    np.testing.assert_allclose(pds, lgb_model.score_frame(frame), rtol=1e-5)
    for output in outputs:
        total = output.base_value + sum(output.contributions.values())
        assert total == pytest.approx(output.margin, abs=1e-6)
        assert output.probability_of_default == pytest.approx(1 / (1 + np.exp(-output.margin)))
        assert output.model_decision in {"APPROVE", "REVIEW", "REJECT"}
    single = lgb_model.score_row(to_records(frame)[0])
    assert (single.probability_of_default, single.contributions) == (
        outputs[0].probability_of_default,
        outputs[0].contributions,
    )
