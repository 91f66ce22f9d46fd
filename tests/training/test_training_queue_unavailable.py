"""Starting a training run while the broker is down: 503 within seconds, no run left behind;
a QUEUED run whose task never reached a worker is reaped."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import kombu.pools
import pytest
from celery.exceptions import Retry
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from kreditax.celery import app
from tests.training.conftest import TINY_PARAMS
from training.models import TrainingRun
from training.runs import training_run_create, training_runs_reap_stale
from training.tasks import RUN_NOT_COMMITTED_RETRIES, run_training

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.training.urls")]

URL = "/api/v1/training-runs"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def broker_down(settings: Any) -> Iterator[str]:
    """Celery is not eager and its broker is a port nobody listens on."""
    url = f"redis://127.0.0.1:{_closed_port()}/0"
    saved = {key: app.conf[key] for key in ("task_always_eager", "broker_url")}
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.update(task_always_eager=False, broker_url=url)
    _forget_connections()
    yield url
    app.conf.update(saved)
    _forget_connections()


def _forget_connections() -> None:
    """Drop the pools made for the previous broker URL (the next send makes new ones).

    The app's pools live in kombu's global pool groups, keyed by connection: closing one
    without clearing the groups would leave a closed pool there for the next test on the
    same broker ("Acquire on closed pool"). ``kombu.pools.reset`` closes and forgets all."""
    kombu.pools.reset()  # type: ignore[no-untyped-call]
    app._pool = None
    app.amqp._producer_pool = None


def test_the_api_answers_503_within_seconds_and_no_run_is_left(
    broker_down: str, manager: User, data_dir: Path
) -> None:
    client = APIClient()
    client.force_login(manager)
    started = time.monotonic()
    response = client.post(
        URL,
        {"data_path": str(data_dir / "applications.csv"), "params": TINY_PARAMS},
        format="json",
    )
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.json() == {
        "error": {
            "code": "queue_unavailable",
            "message": "The task queue is unavailable; the training run was not queued. "
            "Retry later.",
            "fields": {},
        }
    }
    assert elapsed < 5.0
    assert TrainingRun.objects.count() == 0


def test_the_command_says_the_queue_is_unavailable_and_queues_nothing(
    broker_down: str, training_csv: Path
) -> None:
    with pytest.raises(CommandError) as refused:
        call_command("train_model", "--data", str(training_csv), "--async")
    assert str(refused.value) == (
        "The task queue is unavailable; the training run was not queued. Retry later."
    )
    assert TrainingRun.objects.count() == 0


def _queued(training_csv: Path, *, minutes_ago: float) -> TrainingRun:
    run = training_run_create(
        data_path=training_csv, algorithm="xgboost", params={}, requested_by=None
    )
    created = timezone.now() - timedelta(minutes=minutes_ago)
    TrainingRun.objects.filter(pk=run.pk).update(created_at=created)
    run.refresh_from_db()
    return run


def test_a_queued_run_whose_task_never_arrived_is_reaped_and_a_recent_one_is_not(
    settings: Any, training_csv: Path
) -> None:
    settings.KREDITAX_TRAINING_QUEUED_SECONDS = 600
    lost = _queued(training_csv, minutes_ago=11)
    waiting = _queued(training_csv, minutes_ago=9)
    assert training_runs_reap_stale() == [lost.pk]
    lost.refresh_from_db()
    waiting.refresh_from_db()
    assert lost.status == TrainingRun.Status.FAILED
    assert lost.error == (
        "Never started: its task did not reach a worker since it was queued at "
        f"{lost.created_at.isoformat()}."
    )
    assert lost.finished_at is not None
    assert lost.model_version_id is None
    assert waiting.status == TrainingRun.Status.QUEUED
    assert training_runs_reap_stale() == []


def test_a_reaped_run_is_not_started_by_a_task_that_arrives_late(
    settings: Any, training_csv: Path
) -> None:
    settings.KREDITAX_TRAINING_QUEUED_SECONDS = 60
    lost = _queued(training_csv, minutes_ago=2)
    training_runs_reap_stale()
    assert run_training.apply(args=[lost.pk]).get() == "FAILED"
    lost.refresh_from_db()
    assert (lost.status, lost.model_version_id) == (TrainingRun.Status.FAILED, None)


def test_a_task_for_a_run_not_committed_yet_retries_a_second_later_then_gives_up() -> None:
    with pytest.raises(Retry) as retried:
        run_training.apply(args=[987654])
    assert retried.value.when == 1
    last = run_training.apply(args=[987654], retries=RUN_NOT_COMMITTED_RETRIES)
    assert last.get() == "missing"
    assert TrainingRun.objects.count() == 0
