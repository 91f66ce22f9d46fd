"""Fixtures for the policy app: decisions recorded by the product itself, under several
model versions, rule-set versions and dates, to be re-decided by simulations.

Two tiny built-in-schema models (different seeds, so different PDs) are trained once per
session; each test registers the READY rows it needs. Decisions are made by the scoring
service (``application_score``) on a frozen decision date, as the API makes them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from audit.models import DecisionRecord
from credit_ml.artifacts import SavedArtifact, save_artifact
from credit_ml.schema import INDONESIAN_SCHEMA
from credit_ml.synthetic import generate_applications
from credit_ml.training import TrainConfig, train_model
from registry import model_cache, roles
from registry.api_keys import forget_clients
from registry.models import ApiClient, ModelVersion, RuleSet
from scoring import services as scoring_services
from scoring.examples import EXAMPLE_APPLICATION
from scoring.services import Endpoint, actor_of, application_score

SEEDS = {"m-policy-a": 5, "m-policy-b": 9}

#: Rp 12 million a month, Rp 0.5 million of other installments, 24 months at 18 %: the DSR
#: is about 12.5 % for Rp 20 million, 25 % for Rp 50 million (the example), 41 % with
#: Rp 2.5 million of other installments (over the 30 % cap of 2026).
LOW_DSR = {**EXAMPLE_APPLICATION, "loan_amount": 20_000_000}
MID_DSR = dict(EXAMPLE_APPLICATION)
HIGH_DSR = {**EXAMPLE_APPLICATION, "existing_monthly_installments": 2_500_000}


@pytest.fixture(scope="session")
def policy_artifacts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SavedArtifact]:
    root: Path = tmp_path_factory.mktemp("policy-models")
    saved = {}
    for label, seed in SEEDS.items():
        config = TrainConfig(n_estimators=12, max_depth=3, learning_rate=0.3, folds=0, seed=seed)
        trained = train_model(
            generate_applications(2000, seed), schema=INDONESIAN_SCHEMA, config=config
        )
        saved[label] = save_artifact(trained, root=root, label=label, data_sha256="d" * 64)
    return saved


@pytest.fixture(autouse=True)
def _fresh_caches(settings: Any, tmp_path: Path) -> Iterator[None]:
    settings.KREDITAX_ARTIFACT_DIR = tmp_path / "models"
    settings.KREDITAX_TRAINING_THREADS = 1
    settings.KREDITAX_SIMULATION_HEARTBEAT_SECONDS = 0  # no thread; a test sets its own
    model_cache.clear()
    forget_clients()
    yield
    model_cache.clear()
    forget_clients()


@pytest.fixture
def register(db: None, policy_artifacts: dict[str, SavedArtifact]) -> Callable[[str], ModelVersion]:
    def make(label: str) -> ModelVersion:
        saved = policy_artifacts[label]
        return ModelVersion.objects.create(
            label=label,
            algorithm=ModelVersion.Algorithm.XGBOOST,
            status=ModelVersion.Status.READY,
            artifact_path=str(saved.path),
            artifact_sha256=saved.sha256,
            data_fingerprint="d" * 64,
            ready_at=timezone.now(),
        )

    return make


Record = Callable[..., DecisionRecord]


@pytest.fixture
def record(db: None, monkeypatch: pytest.MonkeyPatch) -> Record:
    """Decide and record one application with the champion, as ``client`` on ``day``."""

    def decide(payload: dict[str, Any], *, client: ApiClient, day: date) -> DecisionRecord:
        monkeypatch.setattr(scoring_services, "decision_date", lambda: day)
        result = application_score(
            payload=payload,
            actor=actor_of(client=client, user=None),
            endpoint=Endpoint.PREDICT,
            idempotency_key=None,
        )
        return DecisionRecord.objects.get(request_id=result.body["request_id"])

    return decide


def client_on(name: str, version: str) -> ApiClient:
    client, _key = ApiClient.objects.create_key(
        name=name, rule_set=RuleSet.objects.get(version=version)
    )
    assert isinstance(client, ApiClient)
    return client


def varied(base: dict[str, Any], i: int) -> dict[str, Any]:
    """``base`` with the model's inputs varied (not the DSR's), so decisions vary."""
    province, code = (("DKI_JAKARTA", "31"), ("JAWA_BARAT", "32"), ("BALI", "51"))[i % 3]
    return {
        **base,
        "application_id": f"LOS-SIM-{i}",
        "nik": f"{code}71054501900001",  # the NIK's region is checked against the province
        "province": province,
        "employment_status": ("PERMANENT", "CONTRACT", "FREELANCE", "SELF_EMPLOYED")[i % 4],
        "work_experience_years": i % 12,
        "credit_card_utilization": (i * 0.13) % 1,
        "past_delinquencies": i % 4,
        "worst_collectibility_24m": 1 + i % 3,
        "loan_purpose": ("HOME_RENOVATION", "EDUCATION")[i % 2],
    }


@pytest.fixture
def policy_manager(db: None) -> Callable[[str], User]:
    def make(name: str) -> User:
        user = User.objects.create_user(name, is_staff=True)
        user.groups.add(Group.objects.get(name=roles.CREDIT_POLICY_MANAGER))
        return User.objects.get(pk=user.pk)

    return make
