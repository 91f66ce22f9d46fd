from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from credit_ml.artifacts import ArtifactIntegrityError
from credit_ml.scoring import ScoringModel
from registry.errors import ModelVersionNotReady
from registry.models import ModelVersion
from registry.services import model_version_load

pytestmark = pytest.mark.django_db


def _flip_a_byte(path: Path) -> None:
    path.parent.chmod(path.parent.stat().st_mode | stat.S_IWUSR)
    path.chmod(path.stat().st_mode | stat.S_IWUSR)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def test_a_ready_version_loads_and_scores_probabilities(
    ready_version: ModelVersion, training_frame: pd.DataFrame
) -> None:
    model = model_version_load(version=ready_version)
    assert isinstance(model, ScoringModel)
    scores = model.score_frame(training_frame.head(50))
    assert scores.shape == (50,)
    assert ((scores > 0) & (scores < 1)).all()


def test_the_loader_refuses_a_modified_artifact_naming_the_label(
    ready_version: ModelVersion,
) -> None:
    _flip_a_byte(Path(ready_version.artifact_path) / "model.ubj")
    with pytest.raises(ArtifactIntegrityError, match=ready_version.label):
        model_version_load(version=ready_version)


def test_the_loader_refuses_a_registry_sha_that_does_not_match(
    ready_version: ModelVersion,
) -> None:
    ready_version.artifact_sha256 = "0" * 64
    with pytest.raises(ArtifactIntegrityError, match=ready_version.label):
        model_version_load(version=ready_version)


def test_a_failed_version_has_nothing_to_load(make_version: Callable[..., ModelVersion]) -> None:
    failed = make_version("broken", status=ModelVersion.Status.FAILED)
    with pytest.raises(ModelVersionNotReady, match="broken is FAILED"):
        model_version_load(version=failed)
