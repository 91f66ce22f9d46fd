"""Fixtures for the audit trail: records of a real decision, and one tiny trained champion.

Records are built from what the product really decides (``credit_ml.decision.decide`` on a
tiny model, shaped by the scoring presenters as the API records them), never from invented
dicts: a reader that looks for keys a real decision does not have must fail here.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from audit.models import DecisionRecord
from audit.services import RecordedDecision, decision_records_create
from credit_ml.artifacts import load_artifact, save_artifact
from credit_ml.datasets import write_dataset
from credit_ml.decision import Decision, decide
from credit_ml.policy import fintech_rule_set
from credit_ml.schema import INDONESIAN_SCHEMA, validate_record
from credit_ml.scoring import ScoringModel
from credit_ml.synthetic import generate_applications
from credit_ml.training import TrainConfig, train_model
from registry import model_cache, roles
from registry.models import ModelVersion
from scoring import presenters
from scoring.examples import EXAMPLE_APPLICATION
from training.services import model_version_train

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.get_fixed_timezone(7 * 60))

#: The example applicant with other identity values and existing installments of Rp 2.5
#: million: a repayment-to-income ratio of about 36 %, over the 30 % OJK cap of 2026, which
#: a smaller amount or a longer term would meet (so the decision has a counteroffer).
APPLICANT = {
    **EXAMPLE_APPLICATION,
    "full_name": "Siti Nurhaliza Putri",
    "nik": "3171014101900001",
    "email": "Siti.Putri@example.co.id",
    "address": "Jl. Melati No. 7, Kebayoran Baru",
    "monthly_income": 12_500_000,
    "existing_monthly_installments": 2_500_000,
    "loan_amount": 40_000_000,
}


@dataclass(frozen=True)
class RealDecision:
    decision: Decision
    model: ScoringModel
    values: dict[str, Any]


@functools.cache
def real_decision() -> RealDecision:
    """The tiny model's decision on ``APPLICANT`` under the fintech rules on ``T0``'s date
    (a REJECT by the repayment-to-income cap), made once per test session."""
    frame = generate_applications(rows=2000, seed=21)
    config = TrainConfig(n_estimators=10, max_depth=3, learning_rate=0.3, folds=0, seed=1)
    trained = train_model(frame, schema=INDONESIAN_SCHEMA, config=config)
    root = Path(tempfile.mkdtemp(prefix="kreditax-audit-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    saved = save_artifact(trained, root=root, label="xgb-test-1", data_sha256="f" * 64)
    model = load_artifact(saved.path, expected_sha256=saved.sha256)
    values = validate_record(INDONESIAN_SCHEMA, APPLICANT)
    decision = decide(model, values, rule_set=fintech_rule_set(), on=T0.date())
    assert decision.failed_rules == ("OJK_MAX_REPAYMENT_TO_INCOME",)
    return RealDecision(decision=decision, model=model, values=values)


@pytest.fixture(autouse=True)
def artifact_dir(settings: Any, tmp_path: Path) -> Path:
    path = tmp_path / "models"
    settings.KREDITAX_ARTIFACT_DIR = path
    settings.KREDITAX_TRAINING_THREADS = 1
    model_cache.clear()
    return path


@pytest.fixture
def version(db: None) -> ModelVersion:
    """A registry row without an artifact (records only name it)."""
    return ModelVersion.objects.create(
        label="xgb-test-1",
        algorithm=ModelVersion.Algorithm.XGBOOST,
        status=ModelVersion.Status.READY,
        artifact_path="/nonexistent/xgb-test-1",
        artifact_sha256="a" * 64,
        data_fingerprint="f" * 64,
        ready_at=timezone.now(),
    )


def recorded(version: ModelVersion | type[Any], **overrides: Any) -> RecordedDecision:
    """``real_decision`` as the scoring API records it; ``overrides`` change plain columns
    (dates, the client's name, the decision) for tests of filters and ordering."""
    real = real_decision()
    decision = real.decision
    values: dict[str, Any] = {
        "request_id": uuid.uuid4(),
        "created_at": T0,
        "decision_date": T0.date(),
        "endpoint": "predict",
        "client_id": None,
        "user_id": None,
        "actor_name": "bank-jaya",
        "model_version_id": version.pk,
        "model_label": version.label,
        "rule_set_version": decision.policy.rule_set_version,
        "decision": decision.decision,
        "probability_of_default": decision.probability_of_default,
        "credit_score": decision.credit_score,
        "risk_grade": decision.risk_grade,
        "thresholds": presenters.thresholds_body(real.model),
        "reasons": [reason.to_dict() for reason in decision.reasons],
        "policy": presenters.policy_body(decision)["rules"],
        "failed_rules": list(decision.failed_rules),
        "attributions": presenters.attribution_body(decision),
        "counteroffer": decision.counteroffer.to_dict() if decision.counteroffer else None,
        "shadow": None,
        "idempotency_key_digest": "",
        "application": real.values,
        "identity_fields": INDONESIAN_SCHEMA.identity_fields,
    }
    values.update(overrides)
    return RecordedDecision(**values)


MakeRecords = Callable[..., list[DecisionRecord]]


@pytest.fixture
def make_records(version: ModelVersion) -> MakeRecords:
    """``n`` records one minute apart from ``start`` (default ``T0``)."""

    def make(n: int = 1, start: datetime = T0, **overrides: Any) -> list[DecisionRecord]:
        decisions = [
            recorded(version, created_at=start + timedelta(minutes=i), **overrides)
            for i in range(n)
        ]
        return decision_records_create(decisions=decisions)

    return make


def staff_in(group_name: str, username: str | None = None) -> User:
    user = User.objects.create_user(
        username=username or group_name.lower().replace(" ", "-"), password="pw", is_staff=True
    )
    user.is_superuser = group_name == roles.ADMINISTRATOR
    user.save()
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def compliance(db: None) -> User:
    return staff_in(roles.COMPLIANCE_OFFICER)


@pytest.fixture
def modeler(db: None) -> User:
    return staff_in(roles.MODEL_MANAGER)


@pytest.fixture
def administrator(db: None) -> User:
    return staff_in(roles.ADMINISTRATOR)


# --- a real, tiny champion (replay and leak tests) ---------------------------------------


@pytest.fixture(scope="session")
def training_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data") / "applications.csv"
    write_dataset(generate_applications(rows=2000, seed=21), path)
    return path


@pytest.fixture
def champion(db: None, training_csv: Path) -> ModelVersion:
    config = TrainConfig(n_estimators=10, max_depth=3, learning_rate=0.3, folds=0, seed=1)
    return model_version_train(data_path=training_csv, config=config)


def _plain(value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return value.item() if isinstance(value, np.generic) else value


@pytest.fixture(scope="session")
def applications() -> list[dict[str, Any]]:
    """Valid raw payloads (as a loan system sends them), identities included."""
    frame: pd.DataFrame = generate_applications(rows=5, seed=99)
    rows = frame[list(INDONESIAN_SCHEMA.names)].astype(object).to_dict("records")
    return [{k: _plain(v) for k, v in row.items() if _plain(v) is not None} for row in rows]
