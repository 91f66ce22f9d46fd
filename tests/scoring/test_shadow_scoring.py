"""A challenger scores in shadow: recorded with the decision, never returned or used."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from audit.models import DecisionRecord
from training.models import ModelVersion
from training.services import model_version_make_challenger

from .support import VALID

PREDICT = "/api/v1/predict"


@pytest.fixture
def challenger(register: Any, champion: ModelVersion) -> ModelVersion:
    version = register("m-scoring-b")
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
