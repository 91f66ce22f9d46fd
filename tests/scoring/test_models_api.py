"""/models and /models/{label}: the model cards of READY versions."""

from __future__ import annotations

from typing import Any

from rest_framework.test import APIClient

from registry import model_cache
from registry.models import ModelVersion
from tests.scoring.conftest import LABELS, MORE_LABELS, Register

CARD_KEYS = {
    "label",
    "algorithm",
    "status",
    "is_champion",
    "created_at",
    "data_fingerprint",
    "data_rows",
    "metrics",
    "schema_version",
    "features",
    "fields",
    "importance",
    "thresholds",
    "grades",
    "score_scaling",
    "library_versions",
    "params",
}


def assert_card(card: dict[str, Any], *, label: str, is_champion: bool) -> None:
    assert set(card) == CARD_KEYS
    assert (card["label"], card["status"], card["is_champion"]) == (label, "READY", is_champion)
    assert card["metrics"] == {"auc": 0.75, "gini": 0.5}
    assert card["schema_version"] == "id-retail-1"
    assert "dsr" in card["features"]
    assert "housing_type=RENT" in card["features"]
    assert "housing_type" in card["fields"]
    assert "housing_type=RENT" not in card["fields"]
    assert "gender" not in card["fields"]
    assert "nik" not in card["fields"]
    assert card["thresholds"] == {"approve_below": 0.08, "reject_from": 0.2}
    assert set(card["score_scaling"]) >= {"base_score", "base_odds", "pdo"}


def test_the_list_has_a_card_per_ready_version_with_the_champion_marked(
    api: APIClient, champion: ModelVersion, register: Register
) -> None:
    register(LABELS[1])
    ModelVersion.objects.create(
        label="m-pending", algorithm=ModelVersion.Algorithm.XGBOOST, data_fingerprint="f" * 64
    )
    response = api.get("/api/v1/models")
    assert response.status_code == 200
    cards = {card["label"]: card for card in response.json()["models"]}
    assert set(cards) == set(LABELS)
    assert_card(cards[LABELS[0]], label=LABELS[0], is_champion=True)
    assert_card(cards[LABELS[1]], label=LABELS[1], is_champion=False)


def test_the_detail_is_the_card_of_one_version(api: APIClient, champion: ModelVersion) -> None:
    response = api.get(f"/api/v1/models/{champion.label}")
    assert response.status_code == 200
    assert_card(response.json(), label=champion.label, is_champion=True)


def test_an_unknown_label_is_404_in_the_error_format(
    api: APIClient, champion: ModelVersion
) -> None:
    response = api.get("/api/v1/models/m-nope")
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "message": "No model version 'm-nope'.", "fields": {}}
    }


def test_the_list_is_empty_before_any_version_is_ready(api: APIClient) -> None:
    response = api.get("/api/v1/models")
    assert response.status_code == 200
    assert response.json() == {"models": []}


def test_listing_five_versions_reads_manifests_only_and_keeps_the_champion_loaded(
    api: APIClient,
    champion: ModelVersion,
    register: Register,
    django_assert_num_queries: Any,
) -> None:
    for label in (LABELS[1], *MORE_LABELS):
        register(label)
    serving = model_cache.champion()
    with django_assert_num_queries(2):  # the API client with its rule set; the versions
        response = api.get("/api/v1/models")
    assert response.status_code == 200
    assert [card["label"] for card in response.json()["models"]] == [
        *reversed(MORE_LABELS),
        LABELS[1],
        LABELS[0],
    ]
    assert model_cache.champion() is serving
    assert list(model_cache._cache) == [(champion.pk, champion.artifact_sha256)]
