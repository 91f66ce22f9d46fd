"""An artifact changed on disk: refused before any alias moves, found by the periodic check,
marked DAMAGED with an alert, and READY again once restored byte for byte."""

from __future__ import annotations

import logging
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from credit_ml.artifacts import directory_sha256
from registry.errors import ModelVersionNotReady, PromotionRefused
from registry.models import ArtifactAlert, ModelAlias, ModelAliasChange, ModelVersion
from registry.selectors import champion_version
from registry.services import (
    ArtifactCheck,
    model_artifacts_verify,
    model_version_load,
    model_version_make_challenger,
    model_version_promote,
    model_version_rollback,
)
from training.tasks import verify_model_artifacts

pytestmark = pytest.mark.django_db

MakeVersion = Callable[..., ModelVersion]


def tamper(version: ModelVersion, content: bytes = b'{"label": "swapped"}') -> bytes:
    """Overwrite the artifact's manifest (saved read-only) and return what it held."""
    manifest = Path(version.artifact_path) / "manifest.json"
    before = manifest.read_bytes()
    manifest.chmod(manifest.stat().st_mode | stat.S_IWUSR)
    manifest.write_bytes(content)
    return before


def _found(version: ModelVersion) -> str:
    return directory_sha256(Path(version.artifact_path))


@pytest.fixture
def former_champion(make_version: MakeVersion) -> tuple[ModelVersion, ModelVersion]:
    """v1 was champion, v2 is: v1 is what a rollback returns to."""
    v1, v2 = make_version("v1"), make_version("v2")
    model_version_promote(label="v1")
    model_version_promote(label="v2", override_reason="registry rows only")
    return v1, v2


def test_a_rollback_to_a_changed_artifact_is_refused_and_nothing_is_written(
    former_champion: tuple[ModelVersion, ModelVersion],
) -> None:
    v1, v2 = former_champion
    tamper(v1)
    changes = ModelAliasChange.objects.count()
    with pytest.raises(PromotionRefused) as refused:
        model_version_rollback(label="v1", by=None, reason="v2 approves too much")
    assert str(refused.value) == (
        f"Model version v1's artifact no longer matches the registry (expected SHA-256 "
        f"{v1.artifact_sha256}, found {_found(v1)}); nothing was changed."
    )
    assert champion_version() == v2
    assert ModelAliasChange.objects.count() == changes
    assert ModelVersion.objects.get(pk=v1.pk).status == ModelVersion.Status.READY
    assert ArtifactAlert.objects.count() == 0


def test_a_promotion_to_a_changed_artifact_is_refused_even_with_an_override(
    make_version: MakeVersion,
) -> None:
    v1, v2 = make_version("v1"), make_version("v2")
    model_version_promote(label="v1")
    tamper(v2)
    with pytest.raises(PromotionRefused, match=r"^Model version v2's artifact no longer matches"):
        model_version_promote(label="v2", override_reason="trust me")
    assert champion_version() == v1
    assert ModelAliasChange.objects.count() == 1


def test_the_first_promotion_of_a_missing_artifact_is_refused(make_version: MakeVersion) -> None:
    make_version("gone", artifact=False)
    with pytest.raises(PromotionRefused) as refused:
        model_version_promote(label="gone")
    assert str(refused.value) == (
        "Model version gone's artifact no longer matches the registry (No model artifact "
        "directory at /nonexistent/gone); nothing was changed."
    )
    assert ModelAlias.objects.get(name="champion").version is None
    assert ModelAliasChange.objects.count() == 0


def test_a_changed_artifact_cannot_become_challenger(make_version: MakeVersion) -> None:
    model_version_promote(label=make_version("v1").label)
    tamper(make_version("v2"))
    with pytest.raises(PromotionRefused, match=r"^Model version v2's artifact no longer matches"):
        model_version_make_challenger(label="v2", by=None, reason="shadow it")
    assert ModelAlias.objects.get(name="challenger").version is None
    assert ModelAliasChange.objects.count() == 1


def test_the_check_marks_a_changed_artifact_damaged_with_an_alert_and_an_error_line(
    make_version: MakeVersion, caplog: pytest.LogCaptureFixture
) -> None:
    v1, v2 = make_version("v1"), make_version("v2")
    make_version("old", status=ModelVersion.Status.FAILED)
    tamper(v2)
    with caplog.at_level(logging.ERROR, logger="registry.services"):
        check = model_artifacts_verify()
    assert check == ArtifactCheck(checked=2, damaged=("v2",), restored=())
    assert ModelVersion.objects.get(pk=v1.pk).status == ModelVersion.Status.READY
    assert ModelVersion.objects.get(pk=v2.pk).status == ModelVersion.Status.DAMAGED
    alert = ArtifactAlert.objects.get()
    message = (
        f"The artifact of v2 at {v2.artifact_path} is damaged (expected SHA-256 "
        f"{v2.artifact_sha256}, found {_found(v2)}); the version is DAMAGED and will not be "
        "loaded again."
    )
    assert (alert.version, alert.kind, alert.message) == (v2, ArtifactAlert.Kind.DAMAGED, message)
    [line] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert line.getMessage().startswith(f"{message} Checked at ")


def test_a_damaged_version_is_alerted_once_and_refused_everywhere(
    former_champion: tuple[ModelVersion, ModelVersion],
) -> None:
    v1, _ = former_champion
    tamper(v1)
    model_artifacts_verify()
    assert model_artifacts_verify() == ArtifactCheck(checked=2, damaged=(), restored=())
    assert ArtifactAlert.objects.count() == 1
    damaged = ModelVersion.objects.get(pk=v1.pk)
    with pytest.raises(PromotionRefused) as refused:
        model_version_rollback(label="v1", by=None, reason="back")
    assert str(refused.value) == (
        "Model version v1 is DAMAGED: its artifact no longer matches the SHA-256 recorded "
        "when it was trained. Restore the artifact; nothing was changed."
    )
    with pytest.raises(ModelVersionNotReady, match=r"^Model version v1 is DAMAGED"):
        model_version_load(version=damaged)
    assert ModelAliasChange.objects.count() == 2


def test_a_restored_artifact_makes_the_version_ready_again(make_version: MakeVersion) -> None:
    v1 = make_version("v1")
    original = tamper(v1)
    model_artifacts_verify()
    tamper(v1, original)
    assert model_artifacts_verify() == ArtifactCheck(checked=1, damaged=(), restored=("v1",))
    assert ModelVersion.objects.get(pk=v1.pk).status == ModelVersion.Status.READY
    kinds = list(ArtifactAlert.objects.order_by("id").values_list("kind", "message"))
    assert kinds[1] == ("RESTORED", "The artifact of v1 matches its SHA-256 again; it is READY.")
    model_version_promote(label="v1")
    assert champion_version() == v1


def test_the_beat_task_runs_the_check_and_names_what_it_found(make_version: MakeVersion) -> None:
    tamper(make_version("v1"))
    make_version("v2")
    assert verify_model_artifacts.apply().get() == {"damaged": ["v1"], "restored": []}
    assert list(ModelVersion.objects.order_by("label").values_list("status", flat=True)) == [
        "DAMAGED",
        "READY",
    ]
