"""Fixtures for portfolio runs: one tiny model trained per session, registered as champion
per test, and a portfolio file with two bad rows in the data directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from credit_ml.artifacts import SavedArtifact, save_artifact
from credit_ml.schema import INDONESIAN_SCHEMA
from credit_ml.synthetic import generate_applications
from credit_ml.training import TrainConfig, train_model
from registry import model_cache
from registry.models import ModelVersion
from registry.services import model_version_promote

TINY = TrainConfig(n_estimators=12, max_depth=3, learning_rate=0.3, folds=0, seed=5, n_threads=1)
DATA_SHA256 = "e" * 64
ROWS = 500
#: Rows of ``portfolio_frame`` that cannot be scored: a negative income, a short NIK.
BAD_ROWS = (7, 301)


@pytest.fixture(scope="session")
def artifact(tmp_path_factory: pytest.TempPathFactory) -> SavedArtifact:
    result = train_model(generate_applications(2000, 3), schema=INDONESIAN_SCHEMA, config=TINY)
    root: Path = tmp_path_factory.mktemp("portfolio-models")
    return save_artifact(result, root=root, label="m-portfolio-a", data_sha256=DATA_SHA256)


@pytest.fixture(autouse=True)
def _fresh_model_cache() -> Iterator[None]:
    model_cache.clear()
    yield
    model_cache.clear()


@pytest.fixture
def champion(db: None, artifact: SavedArtifact) -> ModelVersion:
    version = ModelVersion.objects.create(
        label="m-portfolio-a",
        algorithm=ModelVersion.Algorithm.XGBOOST,
        status=ModelVersion.Status.READY,
        artifact_path=str(artifact.path),
        artifact_sha256=artifact.sha256,
        metrics={"auc": 0.75},
        data_fingerprint=DATA_SHA256,
        data_rows=2000,
        ready_at=timezone.now(),
    )
    model_version_promote(label=version.label, reason="test champion")
    return version


@pytest.fixture(scope="session")
def portfolio_frame() -> pd.DataFrame:
    frame = generate_applications(ROWS, 11)
    frame.loc[BAD_ROWS[0], "monthly_income"] = -5.0
    frame.loc[BAD_ROWS[1], "nik"] = "317"
    return frame


@pytest.fixture
def dirs(settings: Any, tmp_path: Path, portfolio_frame: pd.DataFrame) -> dict[str, Path]:
    """``KREDITAX_DATA_DIR`` holding ``book.parquet``, and an empty ``KREDITAX_PORTFOLIO_DIR``;
    chunks of 200 rows."""
    data, out = tmp_path / "data", tmp_path / "portfolio"
    data.mkdir()
    out.mkdir()
    portfolio_frame.to_parquet(data / "book.parquet")
    settings.KREDITAX_DATA_DIR = data
    settings.KREDITAX_PORTFOLIO_DIR = out
    settings.KREDITAX_PORTFOLIO_CHUNK_ROWS = 200
    settings.KREDITAX_PORTFOLIO_THREADS = 1
    settings.KREDITAX_DASK_SCHEDULER = ""
    return {"data": data, "out": out}


def role_user(username: str, role: str) -> User:
    user = User.objects.create_user(username, password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def manager(db: None) -> User:
    return role_user("risk-ani", "Model Manager")
