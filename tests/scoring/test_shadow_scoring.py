"""A challenger scores in shadow: recorded with the decision, never returned or used."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from audit.models import DecisionRecord
from registry.models import ModelVersion
from registry.services import model_version_make_challenger

from .support import VALID

PREDICT = "/api/v1/predict"


@pytest.fixture
def challenger(register: Any, champion: ModelVersion) -> ModelVersion:
    version: ModelVersion = register("m-scoring-b")
    model_version_make_challenger(label=version.label, by=None, reason="shadow test")
    return version


def test_the_challenger_is_recorded_in_shadow_and_never_returned(
    api: APIClient, champion: ModelVersion, challenger: ModelVersion
) -> None:
    response = api.post(PREDICT, VALID, format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["model_version"] == champion.label
    assert "shadow" not in body
    assert challenger.label not in response.content.decode()
    record = DecisionRecord.objects.get()
    assert record.model_label == champion.label
    assert record.shadow is not None
    assert record.shadow["model_label"] == challenger.label
    assert set(record.shadow) == {
        "model_label",
        "probability_of_default",
        "credit_score",
        "risk_grade",
        "model_decision",
    }


def test_without_a_challenger_nothing_is_shadowed(api: APIClient, champion: ModelVersion) -> None:
    assert api.post(PREDICT, VALID, format="json").status_code == 200
    assert DecisionRecord.objects.get().shadow is None


def test_a_challenger_that_cannot_load_never_blocks_the_decision(
    api: APIClient, champion: ModelVersion, challenger: ModelVersion
) -> None:
    ModelVersion.objects.filter(pk=challenger.pk).update(artifact_sha256="0" * 64)

    response = api.post(PREDICT, VALID, format="json")

    assert response.status_code == 200
    assert DecisionRecord.objects.get().shadow is None


def test_a_batch_is_shadowed_item_by_item_as_predict_shadows_it(
    api: APIClient, champion: ModelVersion, challenger: ModelVersion
) -> None:
    single = api.post(PREDICT, VALID, format="json")
    assert single.status_code == 200
    expected = DecisionRecord.objects.get().shadow
    items = [VALID, {**VALID, "age": 12}, VALID]

    response = api.post("/api/v1/predict/batch", {"applications": items}, format="json")

    assert response.status_code == 200
    assert [r["status"] for r in response.json()["results"]] == ["scored", "invalid", "scored"]
    shadows = list(DecisionRecord.objects.filter(endpoint="batch").values_list("shadow", flat=True))
    assert shadows == [expected, expected]


def test_a_challenger_that_fails_on_a_batch_never_blocks_it(
    api: APIClient,
    champion: ModelVersion,
    challenger: ModelVersion,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from credit_ml.scoring import ScoringModel
    from registry import model_cache

    broken = model_cache.version_model(challenger)

    def refuse(self: ScoringModel, *args: Any, **kwargs: Any) -> Any:
        if self is broken:
            raise RuntimeError("challenger cannot score")
        return original(self, *args, **kwargs)

    original = ScoringModel.score_rows
    monkeypatch.setattr(ScoringModel, "score_rows", refuse)

    response = api.post("/api/v1/predict/batch", {"applications": [VALID, VALID]}, format="json")

    assert response.status_code == 200
    assert response.json()["scored"] == 2
    assert list(DecisionRecord.objects.values_list("shadow", flat=True)) == [None, None]
