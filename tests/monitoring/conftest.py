"""Fixtures for monitoring: a tiny champion trained by the product (with its baseline) and
decisions it really made, recorded as the API records them."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from django.utils import timezone

from audit.models import DecisionRecord
from audit.services import RecordedDecision, decision_records_create
from credit_ml.datasets import write_dataset
from credit_ml.decision import decide_many
from credit_ml.policy import fintech_rule_set
from credit_ml.schema import INDONESIAN_SCHEMA, validate_record
from credit_ml.synthetic import generate_applications
from credit_ml.training import TrainConfig
from registry import model_cache
from registry.models import ModelAlias, ModelVersion
from registry.services import model_version_load
from scoring import presenters
from training.services import model_version_train

TRAINING_ROWS = 3000
JAKARTA = timezone.get_fixed_timezone(7 * 60)


@pytest.fixture(autouse=True)
def artifact_dir(settings: Any, tmp_path: Path) -> Path:
    path = tmp_path / "models"
    settings.KREDITAX_ARTIFACT_DIR = path
    settings.KREDITAX_TRAINING_THREADS = 1
    model_cache.clear()
    return path


@pytest.fixture(scope="session")
def training_frame() -> pd.DataFrame:
    return generate_applications(rows=TRAINING_ROWS, seed=31)


@pytest.fixture(scope="session")
def training_csv(tmp_path_factory: pytest.TempPathFactory, training_frame: pd.DataFrame) -> Path:
    path = tmp_path_factory.mktemp("data") / "applications.csv"
    write_dataset(training_frame, path)
    return path


@pytest.fixture
def champion(db: None, training_csv: Path) -> ModelVersion:
    """A version trained by the product on ``training_frame``, made champion."""
    config = TrainConfig(n_estimators=15, max_depth=3, learning_rate=0.3, folds=0, seed=1)
    version = model_version_train(data_path=training_csv, config=config)
    ModelAlias.objects.update_or_create(
        name=ModelAlias.Name.CHAMPION, defaults={"version": version}
    )
    return version


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    return value.item() if isinstance(value, np.generic) else value


def payloads(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as loan systems send them (absent optional fields left out)."""
    rows = frame[list(INDONESIAN_SCHEMA.names)].astype(object).to_dict("records")
    return [{k: _plain(v) for k, v in row.items() if _plain(v) is not None} for row in rows]


Record = Callable[..., list[DecisionRecord]]


@pytest.fixture
def record(champion: ModelVersion) -> Record:
    """``record(frame, on=date, client="bank-jaya")``: the champion decides every row of
    ``frame`` under the fintech rules on ``on`` and the decisions are recorded."""
    model = model_version_load(version=champion)

    def make(
        frame: pd.DataFrame, *, on: date, client: str = "bank-jaya", version: Any = None
    ) -> list[DecisionRecord]:
        used = version or champion
        values = [
            validate_record(INDONESIAN_SCHEMA, p, identity_checks=False) for p in payloads(frame)
        ]
        decisions = decide_many(model, values, rule_set=fintech_rule_set(), on=on)
        created_at = datetime.combine(on, time(9, 0), tzinfo=JAKARTA)
        return decision_records_create(
            decisions=[
                RecordedDecision(
                    request_id=uuid.uuid4(),
                    created_at=created_at,
                    decision_date=on,
                    endpoint="predict",
                    client_id=None,
                    user_id=None,
                    actor_name=client,
                    model_version_id=used.pk,
                    model_label=used.label,
                    rule_set_version=decision.policy.rule_set_version,
                    decision=decision.decision,
                    probability_of_default=decision.probability_of_default,
                    credit_score=decision.credit_score,
                    risk_grade=decision.risk_grade,
                    thresholds=presenters.thresholds_body(model),
                    reasons=[reason.to_dict() for reason in decision.reasons],
                    policy=presenters.policy_body(decision)["rules"],
                    failed_rules=list(decision.failed_rules),
                    attributions=presenters.attribution_body(decision),
                    counteroffer=None,
                    shadow=None,
                    idempotency_key_digest="",
                    application=value,
                    identity_fields=INDONESIAN_SCHEMA.identity_fields,
                )
                for decision, value in zip(decisions, values, strict=True)
            ]
        )

    return make
