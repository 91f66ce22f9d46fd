"""Real Celery workers on Redis, sharing the PostgreSQL test database.

The in-process worker runs a queued run to success. The kill -9 test starts a worker as a
subprocess, kills it while the run is RUNNING and checks what the reaper leaves behind.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.db import connection

from kreditax.celery import app
from registry.models import ModelVersion
from registry.selectors import champion_version
from registry.services import model_version_promote
from training.models import TrainingRun
from training.runs import training_run_start, training_runs_reap_stale

pytestmark = [
    pytest.mark.requires_redis,
    pytest.mark.requires_postgres,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

REPO = Path(__file__).resolve().parents[2]
TINY = {"n_estimators": 10, "max_depth": 2, "folds": 0, "seed": 1}
#: Enough work that the run is still RUNNING when the worker is killed.
LONG = {"n_estimators": 3000, "max_depth": 6, "folds": 5, "seed": 1}


@pytest.fixture
def broker(settings: Any) -> Iterator[str]:
    """Celery talks to Redis for real; the queue starts and ends empty."""
    url = os.environ["REDIS_URL"]
    saved = {key: app.conf[key] for key in ("task_always_eager", "broker_url")}
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.update(task_always_eager=False, broker_url=url)
    redis.Redis.from_url(url).flushdb()
    yield url
    redis.Redis.from_url(url).flushdb()
    app.conf.update(saved)


def _wait_for(predicate: Callable[[], bool], *, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {seconds} s")
        time.sleep(0.2)


def _status(run: TrainingRun) -> str:
    run.refresh_from_db()
    return run.status


def test_an_in_process_worker_runs_a_queued_run_to_success(broker: str, training_csv: Path) -> None:
    seen: list[str] = []
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        run = training_run_start(
            data_path=training_csv, algorithm="xgboost", params=TINY, requested_by=None
        )
        seen.append(_status(run))

        def finished() -> bool:
            status = _status(run)
            if status != seen[-1]:
                seen.append(status)
            return run.is_finished

        _wait_for(finished, seconds=90)
    assert seen[0] == "QUEUED"
    assert seen[-1] == "SUCCEEDED"
    assert set(seen) <= {"QUEUED", "RUNNING", "SUCCEEDED"}
    assert run.model_version is not None
    assert run.model_version.status == ModelVersion.Status.READY
    assert ModelVersion.objects.count() == 1


def test_a_run_queued_in_a_request_logs_that_request_s_id_on_the_worker(
    broker: str, training_csv: Path
) -> None:
    """Through Redis and a real worker: the task's message carries the id of the request
    that queued it, and the worker's log lines for the run carry the same id."""
    from scoring.api import request_id as ids

    class Lines(logging.Handler):
        def __init__(self) -> None:
            super().__init__(logging.INFO)
            self.seen: list[tuple[str, str]] = []
            self.addFilter(ids.RequestIdFilter())  # as the console handler has it

        def emit(self, record: logging.LogRecord) -> None:
            self.seen.append((record.getMessage(), record.request_id))  # type: ignore[attr-defined]

    lines = Lines()
    runs_logger = logging.getLogger("training.runs")
    # An in-process worker's logging set-up may disable loggers and replace the root
    # logger's handlers: whatever it changes is put back afterwards.
    root = logging.getLogger()
    saved_root = (root.handlers[:], root.level)
    saved = {
        name: (logger.disabled, logger.level)
        for name, logger in logging.root.manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    }
    runs_logger.disabled, runs_logger.level = False, logging.INFO
    runs_logger.addHandler(lines)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            ids._current.set(ids.request_id_from("LOS-trace-77"))  # as the middleware sets it
            try:
                run = training_run_start(
                    data_path=training_csv, algorithm="xgboost", params=TINY, requested_by=None
                )
            finally:
                ids._current.set(None)
            _wait_for(lambda: _status(run) == "SUCCEEDED", seconds=90)
    finally:
        runs_logger.removeHandler(lines)
        root.handlers[:], root.level = saved_root
        for name, (disabled, level) in saved.items():
            logger = logging.getLogger(name)
            logger.disabled, logger.level = disabled, level
    label = ModelVersion.objects.get().label
    assert (f"training run {run.pk} succeeded: {label}", "LOS-trace-77") in lines.seen


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return f"postgres://{db['USER']}{password}@{host}:{port}/{db['NAME']}"


def test_a_worker_killed_mid_run_is_reaped_and_leaves_the_champion_alone(
    broker: str, training_csv: Path, artifact_dir: Path, settings: Any, make_version: Any
) -> None:
    champion = make_version("champion-1")
    model_version_promote(label="champion-1")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kreditax.settings.base",
        "DATABASE_URL": _database_url(),  # pytest-django's test_<name> database
        "REDIS_URL": broker,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "KREDITAX_ARTIFACT_DIR": str(artifact_dir),
        "KREDITAX_TRAINING_HEARTBEAT_SECONDS": "1",
        "KREDITAX_TRAINING_THREADS": "1",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "kreditax", "worker", "--pool=solo"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        run = training_run_start(
            data_path=training_csv, algorithm="xgboost", params=LONG, requested_by=None
        )
        _wait_for(lambda: _status(run) == TrainingRun.Status.RUNNING, seconds=90)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=10)

    settings.KREDITAX_TRAINING_STALE_SECONDS = 1.5
    time.sleep(2.0)
    assert training_runs_reap_stale() == [run.pk]

    run.refresh_from_db()
    assert run.model_version_id is not None
    version = ModelVersion.objects.get(pk=run.model_version_id)
    assert run.status == TrainingRun.Status.FAILED
    assert run.error.startswith("Worker lost: no heartbeat since ")
    assert version.status == ModelVersion.Status.FAILED
    assert not (artifact_dir / version.label).exists()
    assert [p.name for p in artifact_dir.glob(f".{version.label}.*")] == []
    assert champion_version() == champion
