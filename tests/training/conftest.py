"""Fixtures for the model registry: a small synthetic file and versions trained with tiny params."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from django.utils import timezone

from credit_ml.artifacts import directory_sha256
from credit_ml.datasets import write_dataset
from credit_ml.synthetic import generate_applications
from credit_ml.training import TrainConfig
from registry.models import ModelVersion
from training.runs import BACKGROUND_PREFIX
from training.services import model_version_train

TRAINING_ROWS = 3000


@pytest.fixture(autouse=True)
def artifact_dir(settings: Any, tmp_path: Path) -> Path:
    path = tmp_path / "models"
    settings.KREDITAX_ARTIFACT_DIR = path
    settings.KREDITAX_TRAINING_THREADS = 1
    # No heartbeat thread in-process (SQLite in memory); the worker tests turn it on.
    settings.KREDITAX_TRAINING_HEARTBEAT_SECONDS = 0
    settings.KREDITAX_TRAINING_PROGRESS_SECONDS = 0
    return path


@pytest.fixture(scope="session")
def training_frame() -> pd.DataFrame:
    return generate_applications(rows=TRAINING_ROWS, seed=11)


@pytest.fixture(scope="session")
def training_csv(tmp_path_factory: pytest.TempPathFactory, training_frame: pd.DataFrame) -> Path:
    path = tmp_path_factory.mktemp("data") / "applications.csv"
    write_dataset(training_frame, path)
    return path


@pytest.fixture(scope="session")
def holdout_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data") / "holdout.csv"
    write_dataset(generate_applications(rows=1000, seed=12), path)
    return path


@pytest.fixture
def tiny_config() -> TrainConfig:
    return TrainConfig(n_estimators=15, max_depth=3, learning_rate=0.3, folds=0, seed=1)


@pytest.fixture
def ready_version(db: None, training_csv: Path, tiny_config: TrainConfig) -> ModelVersion:
    return model_version_train(data_path=training_csv, config=tiny_config)


@pytest.fixture
def make_version(db: None, tmp_path: Path) -> Callable[..., ModelVersion]:
    """A registry row without training: its artifact is a directory (outside
    ``KREDITAX_ARTIFACT_DIR``) holding one small file with its SHA-256 recorded (promotion
    hashes the artifact but never parses it), or ``/nonexistent/<label>`` with
    ``artifact=False``; ``dataset_spec`` as ``DatasetSpec.to_dict`` stores it (None: the
    built-in schema)."""

    def make(
        label: str,
        status: str = ModelVersion.Status.READY,
        dataset_spec: dict[str, Any] | None = None,
        artifact: bool = True,
    ) -> ModelVersion:
        ready = status == ModelVersion.Status.READY
        path, sha256 = Path(f"/nonexistent/{label}"), "a" * 64
        if ready and artifact:
            path = tmp_path / "registry-rows" / label
            path.mkdir(parents=True)
            (path / "manifest.json").write_text(f'{{"label": "{label}"}}')
            sha256 = directory_sha256(path)
        return ModelVersion.objects.create(
            label=label,
            algorithm=ModelVersion.Algorithm.XGBOOST,
            status=status,
            artifact_path=str(path) if ready else "",
            artifact_sha256=sha256 if ready else "",
            metrics={"auc": 0.75, "cv_auc_mean": 0.74} if ready else {},
            data_fingerprint="f" * 64,
            error="Training failed." if status == ModelVersion.Status.FAILED else "",
            ready_at=timezone.now() if ready else None,
            dataset_spec=dataset_spec,
        )

    return make


#: The German credit example spec, as a version trained on it stores it.
GERMAN_SPEC = Path(__file__).resolve().parents[2] / "examples" / "specs" / "german_credit.yaml"


TINY_PARAMS = {"n_estimators": 10, "max_depth": 2, "folds": 0, "seed": 1}


@pytest.fixture
def manager(db: None) -> Any:
    """A signed-in model manager: ``registry.add_modelversion``."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Permission, User

    # A transactional test may follow a flush that emptied the permissions table.
    create_permissions(apps.get_app_config("registry"), verbosity=0)

    user = User.objects.create_user("model-manager", password="pw", is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="registry", codename="add_modelversion")
    )
    return user


@pytest.fixture
def data_dir(settings: Any, tmp_path: Path, training_frame: pd.DataFrame) -> Path:
    """``KREDITAX_DATA_DIR`` holding ``applications.csv`` (the web may train only here)."""
    path = tmp_path / "data"
    settings.KREDITAX_DATA_DIR = path
    write_dataset(training_frame, path / "applications.csv")
    return path


def background_runs() -> list[threading.Thread]:
    """The threads executing training runs without a broker (``runs._execute_in_thread``)."""
    return [t for t in threading.enumerate() if t.name.startswith(BACKGROUND_PREFIX)]


def join_background_runs(timeout: float = 120.0) -> None:
    """Wait for every background training run to end (transactional tests only: the thread
    sees committed rows)."""
    for thread in background_runs():
        thread.join(timeout)
        assert not thread.is_alive(), f"{thread.name} did not finish in {timeout} s"
