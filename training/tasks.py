"""Celery tasks: another interface to the services. Arguments are JSON: paths, names, ids."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from celery import Task, shared_task
from django.contrib.auth import get_user_model

from registry.services import model_artifacts_verify
from training.models import TrainingRun
from training.runs import retrain_from_folder, training_run_execute, training_runs_reap_stale
from training.services import model_version_train

logger = logging.getLogger(__name__)


@shared_task(name="training.tasks.train_model_task")
def train_model_task(
    data_path: str, algorithm: str, params: dict[str, Any], user_id: int | None
) -> str:
    """Train a version on ``data_path`` (as the worker sees it); returns the new label.

    Kept for tasks queued by earlier releases; new work is queued as ``run_training``.
    """
    user = get_user_model().objects.get(pk=user_id) if user_id is not None else None
    version = model_version_train(
        data_path=Path(data_path), algorithm=algorithm, params=params, created_by=user
    )
    return version.label


#: How often, one second apart, a task retries for a run whose row is not committed yet.
RUN_NOT_COMMITTED_RETRIES = 10


@shared_task(bind=True, name="training.tasks.run_training", acks_late=True, ignore_result=True)
def run_training(self: Task[Any, Any], run_id: int) -> str:
    """Execute the training run ``run_id``; returns its final status.

    The task is sent inside the transaction that creates the run, so it may arrive before
    the row is committed: it retries a few times, then gives up ("missing": the
    transaction was rolled back). No result is stored: the run's row is the result, and
    sending needs only the broker.
    """
    try:
        return training_run_execute(run_id=run_id).status
    except TrainingRun.DoesNotExist:
        if self.request.retries >= RUN_NOT_COMMITTED_RETRIES:
            logger.warning("training run %s does not exist: its task is dropped", run_id)
            return "missing"
        raise self.retry(countdown=1, max_retries=RUN_NOT_COMMITTED_RETRIES) from None


@shared_task(name="training.tasks.reap_stale_training_runs")
def reap_stale_training_runs() -> list[int]:
    """Fail RUNNING runs whose worker stopped beating (Celery beat, every minute)."""
    return training_runs_reap_stale()


@shared_task(name="training.tasks.verify_model_artifacts")
def verify_model_artifacts() -> dict[str, list[str]]:
    """Re-verify every READY artifact against its SHA-256 (Celery beat); returns the labels
    marked DAMAGED and those restored."""
    check = model_artifacts_verify()
    return {"damaged": list(check.damaged), "restored": list(check.restored)}


@shared_task(name="training.tasks.scheduled_retrain")
def scheduled_retrain() -> int | None:
    """Queue a run on the newest file of ``KREDITAX_RETRAIN_DIR``; returns the run id."""
    run = retrain_from_folder()
    return run.pk if run is not None else None
