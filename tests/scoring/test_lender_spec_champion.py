"""A champion trained on a lender's spec (German credit) scores over the API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from audit.models import DecisionRecord
from credit_ml.spec import load_spec, read_training_frame
from credit_ml.training import TrainConfig
from training.models import ModelVersion
from training.selectors import champion_version
from training.services import model_version_promote, model_version_train

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / ".." / "shared" / "data" / "german_credit" / "german_credit.csv"
SPEC = REPO / "examples" / "specs" / "german_credit.yaml"

pytestmark = pytest.mark.skipif(
    not DATA.is_file(), reason=f"the German credit data is not present at {DATA.resolve()}"
)


@pytest.fixture
def german_champion(db: None, settings: Any, tmp_path: Path) -> ModelVersion:
    settings.KREDITAX_ARTIFACT_DIR = tmp_path / "models"
    settings.KREDITAX_TRAINING_THREADS = 1
    tiny = TrainConfig(n_estimators=20, max_depth=3, learning_rate=0.3, folds=0, seed=1)
    version = model_version_train(data_path=DATA, config=tiny, spec_path=SPEC)
    model_version_promote(label=version.label, reason="lender data")
    assert champion_version() == version
    return version


def _first_application() -> dict[str, Any]:
    spec = load_spec(SPEC)
    row = read_training_frame(DATA, spec).iloc[0]
    return {
        column.name: float(row[column.name]) if column.kind == "numeric" else str(row[column.name])
        for column in (*spec.features, *spec.protected)
    }


def test_a_german_credit_champion_scores_one_application_over_the_api(
    api: APIClient, german_champion: ModelVersion
) -> None:
    response = api.post("/api/v1/predict", _first_application(), format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["model_version"] == german_champion.label
    assert body["decision"] in {"APPROVE", "REVIEW", "REJECT"}
    record = DecisionRecord.objects.get()
    assert (record.model_version_id, str(record.request_id)) == (
        german_champion.pk,
        body["request_id"],
    )
    assert record.failed_rules == []
    assert {rule["in_force"] for rule in record.policy} == {False}
    assert all("not collected" in rule["message_en"] for rule in record.policy)


def test_a_german_champion_refuses_an_application_without_one_of_its_features(
    api: APIClient, german_champion: ModelVersion
) -> None:
    application = _first_application()
    del application["duration_in_month"]
    response = api.post("/api/v1/predict", application, format="json")
    assert response.status_code == 400
    assert "duration_in_month" in response.json()["error"]["fields"]
    assert DecisionRecord.objects.count() == 0
