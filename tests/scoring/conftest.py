"""Fixtures for the scoring API: one tiny model trained per session, registered per test.

Two artifacts (labels ``m-scoring-a`` and ``m-scoring-b``) are saved once from one training
run in a session temporary directory; each test registers the READY versions it needs as
rows pointing at them, so no test trains and no test touches another's files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission, User
from django.utils import timezone
from rest_framework.test import APIClient

from credit_ml.artifacts import SavedArtifact, save_artifact
from credit_ml.schema import INDONESIAN_SCHEMA
from credit_ml.synthetic import generate_applications
from credit_ml.training import TrainConfig, train_model
from registry import model_cache
from registry.api_keys import forget_clients
from registry.models import ApiClient, ModelVersion
from registry.services import api_client_create, model_version_promote
from scoring import services as scoring_services
from tests.scoring.support import keyed

LABELS = ("m-scoring-a", "m-scoring-b")
#: More versions of the same artifact, for tests that need a crowded registry.
MORE_LABELS = ("m-scoring-c", "m-scoring-d", "m-scoring-e")
TINY = TrainConfig(n_estimators=12, max_depth=3, learning_rate=0.3, folds=0, seed=5, n_threads=1)
DATA_SHA256 = "d" * 64

Register = Callable[[str], ModelVersion]


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SavedArtifact]:
    result = train_model(generate_applications(2000, 3), schema=INDONESIAN_SCHEMA, config=TINY)
    root: Path = tmp_path_factory.mktemp("scoring-models")
    return {
        label: save_artifact(result, root=root, label=label, data_sha256=DATA_SHA256)
        for label in LABELS + MORE_LABELS
    }


@pytest.fixture(autouse=True)
def _fresh_model_cache() -> Iterator[None]:
    model_cache.clear()
    forget_clients()
    yield
    model_cache.clear()
    forget_clients()


@pytest.fixture
def register(db: None, artifacts: dict[str, SavedArtifact]) -> Register:
    """A READY registry row for one of the session's artifacts (not promoted)."""

    def make(label: str) -> ModelVersion:
        saved = artifacts[label]
        return ModelVersion.objects.create(
            label=label,
            algorithm=ModelVersion.Algorithm.XGBOOST,
            status=ModelVersion.Status.READY,
            artifact_path=str(saved.path),
            artifact_sha256=saved.sha256,
            metrics={"auc": 0.75, "gini": 0.5},
            data_fingerprint=DATA_SHA256,
            data_rows=2000,
            ready_at=timezone.now(),
        )

    return make


@pytest.fixture
def champion(register: Register) -> ModelVersion:
    version = register(LABELS[0])
    model_version_promote(label=version.label, reason="test champion")
    return version


@pytest.fixture
def fintech_key(db: None) -> tuple[ApiClient, str]:
    return api_client_create(name="los-fintech", rule_set_name="fintech")


@pytest.fixture
def bank_key(db: None) -> tuple[ApiClient, str]:
    return api_client_create(name="los-bank", rule_set_name="bank")


@pytest.fixture
def api(fintech_key: tuple[ApiClient, str]) -> APIClient:
    """An HTTP client authenticated with the fintech loan system's key."""
    return keyed(fintech_key[1])


@pytest.fixture
def bank_api(bank_key: tuple[ApiClient, str]) -> APIClient:
    return keyed(bank_key[1])


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    def make(username: str, *permissions: str, is_staff: bool = True) -> User:
        user = User.objects.create_user(username, password="x", is_staff=is_staff)
        for dotted in permissions:
            app_label, codename = dotted.split(".")
            user.user_permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        return user

    return make


@pytest.fixture
def on_date(monkeypatch: pytest.MonkeyPatch) -> Callable[[date], None]:
    """Freeze the decision date the scoring services use."""

    def freeze(day: date) -> None:
        monkeypatch.setattr(scoring_services, "decision_date", lambda: day)

    return freeze
