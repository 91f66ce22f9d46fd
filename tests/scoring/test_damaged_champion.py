"""A champion whose artifact is changed on disk: the worker that verified it keeps serving its
in-memory copy; once marked DAMAGED no restarted worker loads it again."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from audit.models import DecisionRecord
from registry import model_cache
from registry.models import ModelVersion
from registry.services import ArtifactCheck, model_artifacts_verify
from tests.scoring.conftest import LABELS
from tests.scoring.support import VALID
from tests.scoring.test_champion_and_audit_failures import _flip_a_byte

pytestmark = pytest.mark.django_db


@pytest.fixture
def private_champion(
    champion: ModelVersion, tmp_path: Path, artifacts: Any, settings: Any
) -> ModelVersion:
    """The champion on a private copy of its artifact; every request looks the alias up."""
    settings.KREDITAX_CHAMPION_REFRESH_SECONDS = 0
    copy = tmp_path / champion.label
    shutil.copytree(artifacts[champion.label].path, copy)
    champion.artifact_path = str(copy)
    champion.save(update_fields=["artifact_path"])
    model_cache.clear()
    return champion


def test_a_worker_keeps_its_verified_copy_and_a_restarted_one_refuses_the_damaged_version(
    api: APIClient, private_champion: ModelVersion
) -> None:
    assert api.post("/api/v1/predict", VALID, format="json").status_code == 200
    _flip_a_byte(Path(private_champion.artifact_path) / "model.ubj")
    assert model_artifacts_verify() == ArtifactCheck(checked=1, damaged=(LABELS[0],), restored=())

    served = api.post("/api/v1/predict", VALID, format="json")
    assert served.status_code == 200
    assert served.json()["model_version"] == LABELS[0]
    assert DecisionRecord.objects.filter(model_label=LABELS[0]).count() == 2

    model_cache.clear()  # what a restart does
    refused = api.post("/api/v1/predict", VALID, format="json")
    assert refused.status_code == 503
    assert refused.json()["error"]["code"] == "model_unavailable"
    assert DecisionRecord.objects.count() == 2
    ready = APIClient().get("/api/v1/ready")
    assert ready.status_code == 503
    assert ready.json()["problems"] == {"champion": "the champion model could not be loaded"}
