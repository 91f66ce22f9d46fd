from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from credit_ml.schema import INDONESIAN_SCHEMA, validate_record
from credit_ml.shadow import shadow_output
from credit_ml.training import TrainConfig
from registry.models import ModelVersion
from registry.services import model_version_load
from training.services import model_version_train

pytestmark = pytest.mark.django_db


def _values(frame: pd.DataFrame) -> dict[str, Any]:
    row = frame.iloc[0]
    record: dict[str, Any] = {}
    for spec in INDONESIAN_SCHEMA.fields:
        value = row[spec.name]
        if pd.isna(value):
            record[spec.name] = None
        elif spec.dtype == "int":
            record[spec.name] = int(value)
        elif spec.dtype == "float":
            record[spec.name] = float(value)
        else:
            record[spec.name] = str(value)
    return validate_record(INDONESIAN_SCHEMA, record, identity_checks=False)


def test_the_challenger_scores_in_the_shadow(
    ready_version: ModelVersion, training_csv: Path, training_frame: pd.DataFrame
) -> None:
    config = TrainConfig(n_estimators=12, max_depth=2, learning_rate=0.3, folds=0, seed=2)
    challenger = model_version_train(data_path=training_csv, config=config)
    model = model_version_load(version=challenger)
    values = _values(training_frame)
    expected = model.score_row(values)

    assert shadow_output(label=challenger.label, model=model, values=values) == {
        "model_label": challenger.label,
        "probability_of_default": expected.probability_of_default,
        "credit_score": expected.credit_score,
        "risk_grade": expected.risk_grade,
        "model_decision": expected.model_decision,
    }


def test_a_challenger_that_cannot_score_gives_no_shadow(
    ready_version: ModelVersion, training_frame: pd.DataFrame, caplog: pytest.LogCaptureFixture
) -> None:
    model = model_version_load(version=ready_version)
    values = {**_values(training_frame), "monthly_income": 0.0}  # income 0: no DSR

    assert shadow_output(label="broken", model=model, values=values) is None
    assert "shadow scoring with broken failed" in caplog.text
