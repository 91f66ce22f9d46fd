"""A LightGBM champion decides over the API like an XGBoost one."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import DecisionRecord
from credit_ml.artifacts import save_artifact
from credit_ml.schema import INDONESIAN_SCHEMA
from credit_ml.synthetic import generate_applications
from credit_ml.training import TrainConfig, train_model
from registry.models import ModelVersion
from registry.services import model_version_promote
from tests.scoring.support import VALID

LIGHTGBM = TrainConfig(algorithm="lightgbm", n_estimators=12, max_depth=3, folds=0, seed=5)


@pytest.fixture
def lightgbm_champion(db: None, tmp_path: Path) -> ModelVersion:
    result = train_model(generate_applications(2000, 3), schema=INDONESIAN_SCHEMA, config=LIGHTGBM)
    saved = save_artifact(result, root=tmp_path, label="lgb-champion", data_sha256="d" * 64)
    version = ModelVersion.objects.create(
        label="lgb-champion",
        algorithm=ModelVersion.Algorithm.LIGHTGBM,
        status=ModelVersion.Status.READY,
        artifact_path=str(saved.path),
        artifact_sha256=saved.sha256,
        metrics={"auc": result.metrics["auc"]},
        data_fingerprint="d" * 64,
        ready_at=timezone.now(),
    )
    model_version_promote(label=version.label)
    return version


def test_a_lightgbm_champion_decides_explains_and_is_recorded(
    api: APIClient, lightgbm_champion: ModelVersion
) -> None:
    response = api.post("/api/v1/predict", VALID, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["model_version"] == "lgb-champion"
    assert body["decision"] in {"APPROVE", "REVIEW", "REJECT"}
    assert 250 <= body["credit_score"] <= 900
    record = DecisionRecord.objects.get()
    assert (record.model_version_id, str(record.request_id)) == (
        lightgbm_champion.pk,
        body["request_id"],
    )
    attributions = record.attributions
    total = attributions["base_value"] + sum(attributions["contributions"].values())
    assert record.probability_of_default == pytest.approx(1 / (1 + math.exp(-total)), rel=1e-5)
