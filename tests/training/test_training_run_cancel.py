from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from registry.models import ModelVersion
from training.models import TrainingRun
from training.runs import TrainingRunNotCancellable, training_run_cancel

pytestmark = pytest.mark.django_db


def _run(status: str) -> TrainingRun:
    return TrainingRun.objects.create(
        status=status,
        algorithm="xgboost",
        data_path="/data/x.csv",
        data_sha256="f" * 64,
        celery_task_id="task-1",
    )


def test_a_queued_run_is_cancelled_at_once_and_the_worker_will_skip_it(
    django_capture_on_commit_callbacks: Any,
) -> None:
    user = User.objects.create_user("ds")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run = training_run_cancel(run_id=_run(TrainingRun.Status.QUEUED).pk, by=user)
    run.refresh_from_db()
    assert run.status == TrainingRun.Status.CANCELLED
    assert run.error == "Cancelled before it started."
    assert run.cancel_requested is True
    assert run.cancelled_by == user
    assert run.finished_at is not None
    assert len(callbacks) == 1  # the revoke, after commit
    assert ModelVersion.objects.count() == 0


def test_a_running_run_is_only_asked_to_stop() -> None:
    run = training_run_cancel(run_id=_run(TrainingRun.Status.RUNNING).pk, by=None)
    run.refresh_from_db()
    assert run.status == TrainingRun.Status.RUNNING
    assert run.cancel_requested is True
    assert run.finished_at is None


def test_the_revoke_goes_to_the_broker_when_celery_is_not_eager(
    settings: Any, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    from kreditax.celery import app

    revoked: list[str] = []
    monkeypatch.setattr(app.control, "revoke", revoked.append)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with django_capture_on_commit_callbacks(execute=True):
        training_run_cancel(run_id=_run(TrainingRun.Status.QUEUED).pk, by=None)
    assert revoked == ["task-1"]


@pytest.mark.parametrize(
    "status",
    [TrainingRun.Status.SUCCEEDED, TrainingRun.Status.FAILED, TrainingRun.Status.CANCELLED],
)
def test_a_finished_run_cannot_be_cancelled_and_nothing_is_written(status: str) -> None:
    run = _run(status)
    with pytest.raises(TrainingRunNotCancellable, match=f"is {status}"):
        training_run_cancel(run_id=run.pk, by=None)
    run.refresh_from_db()
    assert run.status == status
    assert run.cancel_requested is False
    assert run.cancelled_by is None


def test_cancelling_twice_is_refused(tmp_path: Path) -> None:
    run = _run(TrainingRun.Status.RUNNING)
    training_run_cancel(run_id=run.pk, by=None)
    with pytest.raises(TrainingRunNotCancellable):
        training_run_cancel(run_id=run.pk, by=None)
