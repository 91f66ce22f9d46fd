from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from registry.models import ModelVersion
from registry.selectors import champion_version
from registry.services import model_version_promote
from training.models import TrainingRun
from training.runs import training_runs_reap_stale

pytestmark = pytest.mark.django_db


def _running(version: ModelVersion, *, beat_seconds_ago: float) -> TrainingRun:
    return TrainingRun.objects.create(
        status=TrainingRun.Status.RUNNING,
        algorithm="xgboost",
        data_path="/data/x.csv",
        data_sha256="f" * 64,
        model_version=version,
        started_at=timezone.now() - timedelta(hours=1),
        heartbeat_at=timezone.now() - timedelta(seconds=beat_seconds_ago),
    )


def test_a_run_without_a_recent_heartbeat_is_failed_and_its_leftovers_removed(
    settings: Any, make_version: Any, artifact_dir: Path
) -> None:
    settings.KREDITAX_TRAINING_STALE_SECONDS = 120
    champion = make_version("champion-1")
    model_version_promote(label="champion-1")
    pending = make_version("xgboost-lost", status=ModelVersion.Status.PENDING)
    (artifact_dir / "xgboost-lost").mkdir(parents=True)
    (artifact_dir / ".xgboost-lost.abc.tmp").mkdir()
    run = _running(pending, beat_seconds_ago=121)

    assert training_runs_reap_stale() == [run.pk]

    run.refresh_from_db()
    pending.refresh_from_db()
    assert run.status == TrainingRun.Status.FAILED
    assert run.error.startswith("Worker lost: no heartbeat since ")
    assert run.finished_at is not None
    assert pending.status == ModelVersion.Status.FAILED
    assert pending.error == run.error
    assert list(artifact_dir.iterdir()) == []
    assert champion_version() == champion


def test_a_run_with_a_fresh_heartbeat_is_left_running(settings: Any, make_version: Any) -> None:
    settings.KREDITAX_TRAINING_STALE_SECONDS = 120
    pending = make_version("xgboost-alive", status=ModelVersion.Status.PENDING)
    run = _running(pending, beat_seconds_ago=60)
    assert training_runs_reap_stale() == []
    run.refresh_from_db()
    pending.refresh_from_db()
    assert run.status == TrainingRun.Status.RUNNING
    assert pending.status == ModelVersion.Status.PENDING


def test_queued_and_finished_runs_are_never_reaped(settings: Any) -> None:
    settings.KREDITAX_TRAINING_STALE_SECONDS = 1
    old = timezone.now() - timedelta(hours=2)
    for status in (TrainingRun.Status.QUEUED, TrainingRun.Status.SUCCEEDED):
        TrainingRun.objects.create(
            status=status,
            algorithm="xgboost",
            data_path="/x.csv",
            data_sha256="f" * 64,
            heartbeat_at=old,
        )
    assert training_runs_reap_stale() == []
