from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from credit_ml.schema import INDONESIAN_SCHEMA, validate_record
from credit_ml.training import TrainConfig
from training.models import ModelVersion
from training.services import (
    model_version_load,
    model_version_make_challenger,
    model_version_train,
)
from training.shadow import shadow_decision

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


def test_without_a_challenger_there_is_no_shadow(
    ready_version: ModelVersion, training_frame: pd.DataFrame
) -> None:
    assert shadow_decision(_values(training_frame)) is None


def test_the_challenger_scores_in_the_shadow(
    ready_version: ModelVersion, training_csv: Path, training_frame: pd.DataFrame
) -> None:
    config = TrainConfig(n_estimators=12, max_depth=2, learning_rate=0.3, folds=0, seed=2)
    challenger = model_version_train(data_path=training_csv, config=config)
    model_version_make_challenger(label=challenger.label, by=None, reason="try")
    values = _values(training_frame)
    expected = model_version_load(version=challenger).score_row(values)
    assert shadow_decision(values) == {
        "model_label": challenger.label,
        "probability_of_default": expected.probability_of_default,
        "credit_score": expected.credit_score,
        "risk_grade": expected.risk_grade,
        "model_decision": expected.model_decision,
    }


def test_a_challenger_that_cannot_score_gives_no_shadow(
    ready_version: ModelVersion, make_version: Any, training_frame: pd.DataFrame
) -> None:
    make_version("broken")  # its artifact does not exist
    model_version_make_challenger(label="broken", by=None, reason="try")
    assert shadow_decision(_values(training_frame)) is None
