"""Fixtures for the audit trail: records built without a model, and one tiny trained champion."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from audit import roles
from audit.models import DecisionRecord
from audit.services import RecordedDecision, decision_records_create
from credit_ml.datasets import write_dataset
from credit_ml.schema import INDONESIAN_SCHEMA
from credit_ml.synthetic import generate_applications
from credit_ml.training import TrainConfig
from scoring import model_cache
from training.models import ModelVersion
from training.services import model_version_train

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.get_fixed_timezone(7 * 60))

APPLICANT = {
    "application_id": "LOS-2026-000123",
    "full_name": "Siti Nurhaliza Putri",
    "nik": "3171014101900001",
    "phone": "081234567890",
    "email": "Siti.Putri@example.co.id",
    "address": "Jl. Melati No. 7, Kebayoran Baru",
    "age": 36,
    "monthly_income": 12_500_000,
    "loan_amount": 40_000_000,
    "province": "31",
}


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


def recorded(version: ModelVersion, **overrides: Any) -> RecordedDecision:
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
        "rule_set_version": "ojk-fintech-2025",
        "decision": "REJECT",
        "probability_of_default": 0.21,
        "credit_score": 540,
        "risk_grade": "D",
        "thresholds": {"approve_below": 0.08, "reject_from": 0.2},
        "reasons": [{"code": "DSR_ADVERSE", "text_en": "High repayment burden"}],
        "policy": [{"code": "DSR_CAP", "passed": False, "title_en": "Repayment cap"}],
        "failed_rules": ["DSR_CAP"],
        "attributions": {"base_value": -2.0, "contributions": {"dsr": 0.8, "age": -0.1}},
        "counteroffer": None,
        "shadow": None,
        "idempotency_key_digest": "",
        "application": APPLICANT,
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
