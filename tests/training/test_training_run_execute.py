from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from registry.models import ModelVersion
from registry.selectors import champion_version
from tests.training.conftest import TINY_PARAMS
from training import runs
from training.models import TrainingRun
from training.runs import training_run_cancel, training_run_execute

pytestmark = pytest.mark.django_db


def _queued(data_path: Path, **fields: Any) -> TrainingRun:
    from credit_ml.datasets import file_sha256

    return TrainingRun.objects.create(
        algorithm="xgboost",
        params=TINY_PARAMS,
        data_path=str(data_path),
        data_sha256=file_sha256(data_path),
        celery_task_id="task-1",
        **fields,
    )


def test_a_queued_run_trains_one_ready_version_and_records_its_progress(
    training_csv: Path, artifact_dir: Path
) -> None:
    user = User.objects.create_user("ds")
    run = training_run_execute(run_id=_queued(training_csv, requested_by=user).pk)
    version = ModelVersion.objects.get()
    assert run.status == TrainingRun.Status.SUCCEEDED
    assert (run.stage, run.progress, run.error) == ("done", 1.0, "")
    assert run.model_version == version
    assert run.started_at is not None
    assert run.finished_at is not None
    assert run.heartbeat_at is not None
    assert version.status == ModelVersion.Status.READY
    assert version.created_by == user
    assert version.params["n_estimators"] == 10
    assert version.data_path == str(training_csv)  # promotion recomputes the holdout from it
    assert (artifact_dir / version.label / "manifest.json").is_file()
    assert champion_version() == version


def test_executing_the_same_run_twice_creates_exactly_one_version(training_csv: Path) -> None:
    run = _queued(training_csv)
    first = training_run_execute(run_id=run.pk)
    second = training_run_execute(run_id=run.pk)
    assert ModelVersion.objects.count() == 1
    assert first.model_version_id == second.model_version_id
    assert second.status == TrainingRun.Status.SUCCEEDED


def test_a_run_that_already_has_a_version_is_never_trained_again(
    training_csv: Path, make_version: Any
) -> None:
    # e.g. a redelivered task after the worker claimed the run and died
    version = make_version("xgboost-earlier", status=ModelVersion.Status.PENDING)
    run = _queued(training_csv, model_version=version)
    assert training_run_execute(run_id=run.pk).status == TrainingRun.Status.QUEUED
    assert ModelVersion.objects.count() == 1


@pytest.mark.parametrize(
    "status", [TrainingRun.Status.RUNNING, TrainingRun.Status.FAILED, TrainingRun.Status.CANCELLED]
)
def test_a_run_that_is_not_queued_is_left_alone(training_csv: Path, status: str) -> None:
    run = _queued(training_csv, status=status)
    assert training_run_execute(run_id=run.pk).status == status
    assert ModelVersion.objects.count() == 0


def test_bad_data_fails_the_run_and_its_version_with_a_readable_error(
    tmp_path: Path, artifact_dir: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("age,monthly_income\n30,5000000\n")
    run = training_run_execute(run_id=_queued(bad).pk)
    version = ModelVersion.objects.get()
    assert run.status == TrainingRun.Status.FAILED
    assert run.error == "The target column 'is_default' is missing."
    assert version.status == ModelVersion.Status.FAILED
    assert version.error == run.error
    assert not (artifact_dir / version.label).exists()
    assert champion_version() is None


def test_a_data_file_changed_after_queueing_fails_the_run(
    tmp_path: Path, training_csv: Path
) -> None:
    path = tmp_path / "moving.csv"
    path.write_bytes(training_csv.read_bytes())
    run = _queued(path)
    path.write_bytes(training_csv.read_bytes() + b"\n")
    run = training_run_execute(run_id=run.pk)
    assert run.status == TrainingRun.Status.FAILED
    assert run.error == "The data file changed after the run was queued; queue a new run."
    assert ModelVersion.objects.get().status == ModelVersion.Status.FAILED


def test_a_cancel_seen_at_a_progress_callback_stops_the_run(
    training_csv: Path, monkeypatch: pytest.MonkeyPatch, artifact_dir: Path
) -> None:
    run = _queued(training_csv)
    real_fit = runs.model_version_fit  # type: ignore[attr-defined,unused-ignore]

    def fit_cancelled_midway(**kwargs: Any) -> Any:
        def progress(stage: str, fraction: float) -> None:
            if stage == "training final model":
                training_run_cancel(run_id=run.pk, by=None)
            kwargs["progress"](stage, fraction)

        return real_fit(**{**kwargs, "progress": progress})

    monkeypatch.setattr(runs, "model_version_fit", fit_cancelled_midway)
    run = training_run_execute(run_id=run.pk)
    version = ModelVersion.objects.get()
    assert run.status == TrainingRun.Status.CANCELLED
    assert run.error == "Cancelled."
    assert run.stage == "training final model"
    assert version.status == ModelVersion.Status.FAILED
    assert not (artifact_dir / version.label).exists()
    assert champion_version() is None


def test_a_cancel_after_the_artifact_was_saved_removes_it(
    training_csv: Path, monkeypatch: pytest.MonkeyPatch, artifact_dir: Path
) -> None:
    run = _queued(training_csv)
    real_fit = runs.model_version_fit  # type: ignore[attr-defined,unused-ignore]

    def fit_then_cancel(**kwargs: Any) -> Any:
        trained = real_fit(**kwargs)
        assert trained.artifact_path.is_dir()
        training_run_cancel(run_id=run.pk, by=None)
        return trained

    monkeypatch.setattr(runs, "model_version_fit", fit_then_cancel)
    run = training_run_execute(run_id=run.pk)
    assert run.status == TrainingRun.Status.CANCELLED
    assert ModelVersion.objects.get().status == ModelVersion.Status.FAILED
    assert list(artifact_dir.iterdir()) == []
    assert champion_version() is None
