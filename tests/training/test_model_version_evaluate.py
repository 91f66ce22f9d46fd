from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from credit_ml.datasets import DatasetError, read_dataset, write_dataset
from credit_ml.evaluation import binary_metrics
from registry.models import ModelVersion
from registry.services import model_version_load
from training.services import model_version_evaluate

pytestmark = pytest.mark.django_db


def test_evaluation_scores_the_file_with_the_verified_artifact(
    ready_version: ModelVersion, holdout_csv: Path
) -> None:
    metrics = model_version_evaluate(label=ready_version.label, data_path=holdout_csv)

    frame = read_dataset(holdout_csv)
    scores = model_version_load(version=ready_version).score_frame(frame)
    expected = binary_metrics(frame["is_default"].to_numpy(), scores)
    assert metrics == expected
    assert metrics["n"] == 1000
    assert 0.5 < metrics["auc"] <= 1.0


def test_a_file_without_outcomes_cannot_be_evaluated(
    ready_version: ModelVersion, training_frame: pd.DataFrame, tmp_path: Path
) -> None:
    path = tmp_path / "no-target.csv"
    write_dataset(training_frame.drop(columns=["is_default"]).head(100), path)
    with pytest.raises(DatasetError, match="no 'is_default' column"):
        model_version_evaluate(label=ready_version.label, data_path=path)


def test_an_unknown_label_raises_does_not_exist(holdout_csv: Path) -> None:
    with pytest.raises(ModelVersion.DoesNotExist):
        model_version_evaluate(label="ghost", data_path=holdout_csv)


def test_a_file_with_one_class_cannot_be_evaluated(
    ready_version: ModelVersion, training_frame: pd.DataFrame, tmp_path: Path
) -> None:
    path = tmp_path / "all-good.csv"
    write_dataset(training_frame.head(100).assign(is_default=0), path)
    with pytest.raises(ValueError, match="Both defaults and goods"):
        model_version_evaluate(label=ready_version.label, data_path=path)
