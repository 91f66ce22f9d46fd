"""Small, fast fixtures for the pure ML core: no Django settings, no database.

One synthetic frame, one training run and one saved artifact are shared by the whole
session (they are read-only), so every test file stays within a few seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from credit_ml.artifacts import SavedArtifact, load_artifact, save_artifact
from credit_ml.schema import INDONESIAN_SCHEMA, validate_record
from credit_ml.scoring import ScoringModel
from credit_ml.synthetic import generate_applications
from credit_ml.training import TrainConfig, TrainingResult, train_model

ROWS = 3_000
SEED = 7
DATA_SHA256 = "0" * 64

#: Few, shallow trees and 3 folds: enough to learn something, fast on one core.
SMALL_CONFIG = TrainConfig(n_estimators=30, max_depth=3, folds=3, seed=11, n_threads=1)

Records = Callable[[pd.DataFrame], list[dict[str, Any]]]


def cleaned_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Each row as ``validate_record`` returns it: Python scalars, ``None`` for missing."""
    fields = frame[list(INDONESIAN_SCHEMA.names)]
    rows = fields.astype(object).where(fields.notna(), None).to_dict("records")
    return [
        validate_record(INDONESIAN_SCHEMA, {k: _plain(v) for k, v in row.items()}) for row in rows
    ]


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


@pytest.fixture(scope="session")
def applications() -> pd.DataFrame:
    """3,000 synthetic applications with ``is_default`` (about 10 %) and ``true_pd``."""
    return generate_applications(ROWS, SEED)


@pytest.fixture(scope="session")
def to_records() -> Records:
    return cleaned_records


@pytest.fixture(scope="session")
def small_config() -> TrainConfig:
    return SMALL_CONFIG


@pytest.fixture(scope="session")
def trained(applications: pd.DataFrame) -> TrainingResult:
    return train_model(applications, schema=INDONESIAN_SCHEMA, config=SMALL_CONFIG)


@pytest.fixture(scope="session")
def saved(trained: TrainingResult, tmp_path_factory: pytest.TempPathFactory) -> SavedArtifact:
    root: Path = tmp_path_factory.mktemp("models")
    return save_artifact(trained, root=root, label="m-test-1", data_sha256=DATA_SHA256)


@pytest.fixture(scope="session")
def scoring_model(saved: SavedArtifact) -> ScoringModel:
    return load_artifact(saved.path, expected_sha256=saved.sha256)
