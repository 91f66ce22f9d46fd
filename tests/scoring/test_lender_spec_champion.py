"""A champion trained on a lender's spec scores over the API: German credit and Taiwan default."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib import admin
from rest_framework.test import APIClient

from audit.admin import DecisionRecordAdmin
from audit.models import DecisionRecord
from credit_ml.spec import load_spec, read_training_frame
from credit_ml.training import TrainConfig
from registry.models import ModelVersion
from registry.selectors import champion_version
from registry.services import model_version_promote
from training.services import model_version_train

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO / ".." / "shared" / "data"
DATASETS = {
    "german": (
        SHARED / "german_credit" / "german_credit.csv",
        "german_credit.yaml",
        "duration_in_month",
    ),
    "taiwan": (
        SHARED / "taiwan_default" / "UCI_Credit_Card.csv",
        "taiwan_default.yaml",
        "LIMIT_BAL",
    ),
}

pytestmark = pytest.mark.skipif(
    not all(data.is_file() for data, _, _ in DATASETS.values()),
    reason=f"the real data sets are not present at {SHARED.resolve()}",
)


@pytest.fixture(params=sorted(DATASETS))
def dataset(request: pytest.FixtureRequest) -> tuple[Path, Path, str]:
    data, spec, feature = DATASETS[request.param]
    return data, REPO / "examples" / "specs" / spec, feature


@pytest.fixture
def lender_champion(
    db: None, settings: Any, tmp_path: Path, dataset: tuple[Path, Path, str]
) -> ModelVersion:
    settings.KREDITAX_ARTIFACT_DIR = tmp_path / "models"
    settings.KREDITAX_TRAINING_THREADS = 1
    data, spec, _ = dataset
    tiny = TrainConfig(n_estimators=20, max_depth=3, learning_rate=0.3, folds=0, seed=1)
    version = model_version_train(data_path=data, config=tiny, spec_path=spec)
    model_version_promote(label=version.label, reason="lender data")
    assert champion_version() == version
    return version


def _first_application(dataset: tuple[Path, Path, str]) -> dict[str, Any]:
    data, spec_path, _ = dataset
    spec = load_spec(spec_path)
    row = read_training_frame(data, spec).iloc[0]
    return {
        column.name: float(row[column.name]) if column.kind == "numeric" else str(row[column.name])
        for column in (*spec.features, *spec.protected)
    }


def test_a_lender_spec_champion_scores_one_application_over_the_api_and_records_it(
    api: APIClient, lender_champion: ModelVersion, dataset: tuple[Path, Path, str]
) -> None:
    response = api.post("/api/v1/predict", _first_application(dataset), format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["model_version"] == lender_champion.label
    assert body["decision"] in {"APPROVE", "REVIEW", "REJECT"}
    record = DecisionRecord.objects.get()
    assert (record.model_version_id, str(record.request_id)) == (
        lender_champion.pk,
        body["request_id"],
    )
    assert record.failed_rules == []
    assert {rule["in_force"] for rule in record.policy} == {False}
    assert all("not collected" in rule["message_en"] for rule in record.policy)


def test_a_lender_spec_champion_refuses_an_application_without_one_of_its_features(
    api: APIClient, lender_champion: ModelVersion, dataset: tuple[Path, Path, str]
) -> None:
    application = _first_application(dataset)
    del application[dataset[2]]
    response = api.post("/api/v1/predict", application, format="json")
    assert response.status_code == 400
    assert dataset[2] in response.json()["error"]["fields"]
    assert DecisionRecord.objects.count() == 0


def test_the_openapi_document_shows_the_champions_fields(
    api: APIClient, lender_champion: ModelVersion, dataset: tuple[Path, Path, str]
) -> None:
    response = api.get("/api/schema/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    application = response.json()["components"]["schemas"]["Application"]
    assert dataset[2] in application["properties"]
    assert dataset[2] in application["required"]
    assert "nik" not in application["properties"]


def test_the_audit_admin_draws_the_waterfall_with_the_specs_labels_as_the_api_does(
    api: APIClient, lender_champion: ModelVersion, dataset: tuple[Path, Path, str]
) -> None:
    body = api.post("/api/v1/explain", _first_application(dataset), format="json").json()
    from_api = api.get(body["explanation"]["waterfall_url"]).content.decode()
    record = DecisionRecord.objects.get()

    from_admin = DecisionRecordAdmin(DecisionRecord, admin.site).waterfall(record)

    assert from_admin == from_api
    if dataset[2] == "duration_in_month":  # the German spec labels two of its fields
        assert "Duration (months)" in from_admin
