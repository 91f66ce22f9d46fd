"""Training runs: queue, execute (in a Celery worker, a background thread without a broker,
or in-process for ``train_model``), cancel, and reap lost workers. Every training is a run.

State machine: QUEUED → RUNNING → SUCCEEDED | FAILED | CANCELLED, and QUEUED → CANCELLED.
Every transition happens under ``select_for_update`` on the run row, so the worker, a
cancelling user and the reaper never both win. A run produces at most one version: the
version is linked to the run in the same transaction that claims the run, and a retried
task finds the run no longer QUEUED and does nothing.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from credit_ml.datasets import file_sha256, is_parquet_input
from credit_ml.portfolio import path_sha256
from credit_ml.spec import DatasetSpec
from credit_ml.training import TrainConfig
from registry.models import ModelVersion
from registry.runs import Heartbeat, stale_runs_reap, task_revoke
from registry.services import champion_claim_if_vacant
from training.models import TrainingRun
from training.services import (
    TrainedArtifact,
    TrainingRefused,
    artifact_dir_remove,
    dataset_spec_load,
    json_safe,
    model_version_create_pending,
    model_version_fit,
    model_version_mark_failed,
    model_version_mark_ready,
    readable_error,
    train_config_build,
    train_config_for_run,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

Status = TrainingRun.Status


class TrainingRunNotCancellable(ValueError):
    """The run has already finished; nothing was written."""


class TrainingCancelled(Exception):
    """Raised from the progress callback when someone asked to cancel the run."""


class DataChanged(Exception):
    """The data file changed between queueing and execution."""


class TrainingQueueUnavailable(RuntimeError):
    """The task broker could not be reached: the run was not queued and nothing was written."""


# --------------------------------------------------------------------------------------
# Start
# --------------------------------------------------------------------------------------


def training_run_start(
    *,
    data_path: Path,
    algorithm: str,
    params: Mapping[str, Any],
    spec_path: Path | None = None,
    requested_by: User | None,
    engine: str = "local",
) -> TrainingRun:
    """Check the request, create a QUEUED run and send ``run_training`` to the broker.

    Raises ``TrainingRefused`` (nothing written) for an unknown algorithm or parameter, a
    missing data file or an unusable spec, and ``TrainingQueueUnavailable`` (nothing
    written) when the broker cannot be reached within its connection timeout and publish
    retries (``KREDITAX_BROKER_TIMEOUT_SECONDS``): the task is sent inside the transaction
    that creates the row, so a run is never left QUEUED with no task. Only the run's
    primary key travels to the worker; the task id is chosen here so that it is on the row
    before the task exists. A worker that receives the task before the row is committed
    retries (``run_training``). Without a broker (Celery eager) the run executes in a
    background thread of this process after the commit, so that the caller (a web
    request) answers at once.
    """
    with transaction.atomic():
        run = training_run_create(
            data_path=data_path,
            algorithm=algorithm,
            params=params,
            spec_path=spec_path,
            requested_by=requested_by,
            task_id=str(uuid.uuid4()),
            engine=engine,
        )
        if settings.CELERY_TASK_ALWAYS_EAGER:
            transaction.on_commit(lambda: _execute_in_thread(run))
        else:
            _publish(run)
    logger.info("training run %s queued (task %s)", run.pk, run.celery_task_id)
    return run


def training_run_create(
    *,
    data_path: Path,
    algorithm: str,
    params: Mapping[str, Any],
    spec_path: Path | None = None,
    requested_by: User | None,
    task_id: str = "",
    engine: str = "local",
) -> TrainingRun:
    """Check the request and create a QUEUED run, enqueued nowhere (``training_run_start``
    enqueues; ``model_version_train`` executes it in-process). Raises ``TrainingRefused``
    (nothing written) as ``training_run_start`` does."""
    _refuse_unusable(data_path=data_path, algorithm=algorithm, engine=engine)
    _refuse_engine(engine=engine, algorithm=algorithm)
    spec = dataset_spec_load(spec_path=spec_path)
    train_config_build(algorithm=algorithm, params=params, spec=spec)
    return TrainingRun.objects.create(
        algorithm=algorithm,
        params=json_safe(dict(params)),
        data_path=str(data_path),
        data_sha256=data_sha256(data_path),
        spec_path=str(spec_path) if spec_path is not None else "",
        requested_by=requested_by,
        celery_task_id=task_id,
        engine=engine,
    )


def _refuse_engine(*, engine: str, algorithm: str) -> None:
    if engine not in ENGINES:
        raise TrainingRefused(f"Unknown engine {engine!r}; choose one of: {', '.join(ENGINES)}.")
    if engine == "dask" and not settings.KREDITAX_DASK_SCHEDULER:
        raise TrainingRefused("The Dask engine needs KREDITAX_DASK_SCHEDULER to be set.")
    if engine == "dask" and algorithm != ModelVersion.Algorithm.XGBOOST:
        raise TrainingRefused("The Dask engine trains XGBoost models only.")


#: Where a run's boosters are fitted (``TrainingRun.engine``).
ENGINES = ("local", "dask")


def _refuse_unusable(*, data_path: Path, algorithm: str, engine: str) -> None:
    if algorithm not in ModelVersion.Algorithm.values:
        choices = ", ".join(ModelVersion.Algorithm.values)
        raise TrainingRefused(f"Unknown algorithm {algorithm!r}; choose one of: {choices}.")
    if data_path.is_dir() and engine == "dask" and is_parquet_input(data_path):
        return  # a folder of Parquet parts, read by the Dask workers
    if not data_path.is_file():
        raise TrainingRefused(f"Training data not found: {data_path}")


def data_sha256(path: Path) -> str:
    """The SHA-256 of a data file's bytes, or of a folder of Parquet parts (each part's
    name and SHA-256, ``credit_ml.portfolio.path_sha256``)."""
    return file_sha256(path) if path.is_file() else path_sha256(path)


def _execute_in_thread(run: TrainingRun) -> None:
    """Without a broker, run it in a background thread of this process.

    Celery's eager mode would run the task inside this call, that is inside the web
    request that started it: the request would answer after the training (minutes) and a
    web worker's timeout could kill it half-way. The thread is not a daemon, so a command
    that queued a run (``train_model --async``) waits for it before the process exits; if
    the process dies before the thread starts, the run stays QUEUED until the reaper fails
    it (``KREDITAX_TRAINING_QUEUED_SECONDS``); if it dies later, when its heartbeat stops.
    """
    thread = threading.Thread(
        target=_execute_in_background, args=(run.pk,), name=f"{BACKGROUND_PREFIX}{run.pk}"
    )
    thread.start()


def _publish(run: TrainingRun) -> None:
    """Send the run to a Celery worker; raises ``TrainingQueueUnavailable`` when the broker
    cannot be reached (the caller's transaction then rolls the run back)."""
    from training.tasks import run_training  # tasks import this module

    try:
        run_training.apply_async(
            args=[run.pk],
            task_id=run.celery_task_id,
            soft_time_limit=settings.KREDITAX_TRAINING_SOFT_TIME_LIMIT,
            time_limit=settings.KREDITAX_TRAINING_TIME_LIMIT,
        )
    except KombuOperationalError as exc:
        logger.error("training run not queued: the task broker is unavailable (%s)", exc)
        raise TrainingQueueUnavailable(
            "The task queue is unavailable; the training run was not queued. Retry later."
        ) from None


#: Name prefix of the threads that execute runs without a broker (``_execute_in_thread``).
BACKGROUND_PREFIX = "training-run-"


def _execute_in_background(run_id: int) -> None:
    """``training_run_execute`` in its own thread and database connection, closed after."""
    try:
        training_run_execute(run_id=run_id)
    except Exception:  # the run records its own failures; this is anything beyond them
        logger.exception("training run %s: background execution failed", run_id)
    finally:
        connection.close()


# --------------------------------------------------------------------------------------
# Execute
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Claim:
    run: TrainingRun
    version: ModelVersion
    config: TrainConfig
    spec: DatasetSpec | None


def training_run_execute(*, run_id: int) -> TrainingRun:
    """Run the training of a QUEUED run; anything else is returned unchanged.

    Idempotent by run id: a retried or redelivered task for a run that is RUNNING, has
    finished, or already produced a version does nothing. Ends SUCCEEDED (version READY),
    FAILED (version FAILED, readable error, no artifact left) or CANCELLED.
    """
    claim = _claim(run_id=run_id)
    if claim is None:
        return TrainingRun.objects.get(pk=run_id)
    run, version = claim.run, claim.version
    try:
        every = settings.KREDITAX_TRAINING_HEARTBEAT_SECONDS
        with Heartbeat(TrainingRun, run_id=run.pk, every=every):
            if data_sha256(Path(run.data_path)) != run.data_sha256:
                raise DataChanged()
            trained = model_version_fit(
                version=version,
                data_path=Path(run.data_path),
                config=claim.config,
                spec=claim.spec,
                progress=_ProgressWriter(run_id=run.pk),
                engine=run.engine,
            )
    except BaseException as exc:
        _finish_failed(run=run, version=version, exc=exc)
        if not isinstance(exc, Exception):
            raise  # SystemExit, KeyboardInterrupt: the worker is going down
        return TrainingRun.objects.get(pk=run.pk)
    return _finish_succeeded(run=run, version=version, trained=trained)


def _claim(*, run_id: int) -> _Claim | None:
    """QUEUED → RUNNING, with a PENDING version linked, in one transaction; else None."""
    with transaction.atomic():
        run = TrainingRun.objects.select_for_update().get(pk=run_id)
        if run.status != Status.QUEUED or run.model_version_id is not None:
            logger.info("training run %s is %s: nothing to do", run.pk, run.status)
            return None
        try:
            spec = _spec(run)
            config = _config(run, spec)
        except (TrainingRefused, OSError) as exc:  # the spec file changed or went away
            _set_finished(run, Status.FAILED, error=str(exc))
            return None
        version = model_version_create_pending(
            algorithm=run.algorithm,
            config=config,
            data_fingerprint=run.data_sha256,
            created_by=run.requested_by,
            spec=spec,
            data_path=Path(run.data_path),
        )
        now = timezone.now()
        run.status, run.model_version = Status.RUNNING, version
        run.started_at = run.heartbeat_at = now
        run.stage, run.progress = "starting", 0.0
        run.save(
            update_fields=[
                "status",
                "model_version",
                "started_at",
                "heartbeat_at",
                "stage",
                "progress",
            ]
        )
    return _Claim(run=run, version=version, config=config, spec=spec)


def _config(run: TrainingRun, spec: DatasetSpec | None) -> TrainConfig:
    config = train_config_build(algorithm=run.algorithm, params=run.params, spec=spec)
    return train_config_for_run(config=config, algorithm=run.algorithm)


def _spec(run: TrainingRun) -> DatasetSpec | None:
    return dataset_spec_load(spec_path=Path(run.spec_path) if run.spec_path else None)


def _finish_succeeded(
    *, run: TrainingRun, version: ModelVersion, trained: TrainedArtifact
) -> TrainingRun:
    """RUNNING → SUCCEEDED and version READY together; if the run was reaped or cancelled
    meanwhile, the artifact is discarded instead."""
    with transaction.atomic():
        locked = TrainingRun.objects.select_for_update().get(pk=run.pk)
        if locked.status != Status.RUNNING or locked.cancel_requested:
            cancelled = locked.cancel_requested
            _discard(run=locked, version=version, cancelled=cancelled)
            return locked
        model_version_mark_ready(version=version, trained=trained)
        _set_finished(locked, Status.SUCCEEDED, stage="done", progress=1.0)
    champion_claim_if_vacant(version=version, claimed_by=run.requested_by)
    logger.info("training run %s succeeded: %s", run.pk, version.label)
    return locked


def _discard(*, run: TrainingRun, version: ModelVersion, cancelled: bool) -> None:
    message = "Cancelled." if cancelled else run.error or "The run was stopped."
    model_version_mark_failed(version=version, exc=TrainingCancelled(), message=message)
    if run.status == Status.RUNNING:
        status = Status.CANCELLED if cancelled else Status.FAILED
        _set_finished(run, status, error=message)


def _finish_failed(*, run: TrainingRun, version: ModelVersion, exc: BaseException) -> None:
    message = _message(exc=exc, label=version.label)
    with transaction.atomic():
        locked = TrainingRun.objects.select_for_update().get(pk=run.pk)
        model_version_mark_failed(version=version, exc=exc, message=message)
        if locked.status == Status.RUNNING:
            cancelled = isinstance(exc, TrainingCancelled)
            _set_finished(locked, Status.CANCELLED if cancelled else Status.FAILED, error=message)
    logger.info("training run %s ended: %s", run.pk, message)


def _message(*, exc: BaseException, label: str) -> str:
    if isinstance(exc, TrainingCancelled):
        return "Cancelled."
    if isinstance(exc, DataChanged):
        return "The data file changed after the run was queued; queue a new run."
    if isinstance(exc, SoftTimeLimitExceeded):
        limit = settings.KREDITAX_TRAINING_SOFT_TIME_LIMIT
        return f"Training exceeded the time limit of {limit} seconds."
    return readable_error(exc=exc, label=label)


def _set_finished(
    run: TrainingRun,
    status: str,
    *,
    error: str = "",
    stage: str | None = None,
    progress: float | None = None,
) -> None:
    run.status, run.error, run.finished_at = status, error, timezone.now()
    fields = ["status", "error", "finished_at"]
    if stage is not None:
        run.stage = stage
        fields.append("stage")
    if progress is not None:
        run.progress = progress
        fields.append("progress")
    run.save(update_fields=fields)


# --------------------------------------------------------------------------------------
# Progress, cancellation checks and heartbeats
# --------------------------------------------------------------------------------------


class _ProgressWriter:
    """The ``train_model(progress=...)`` callback of a run.

    Writes stage, progress and heartbeat on every stage change and at most every
    ``KREDITAX_TRAINING_PROGRESS_SECONDS`` within a stage, and raises
    ``TrainingCancelled`` when a cancellation was requested.
    """

    def __init__(self, *, run_id: int) -> None:
        self.run_id = run_id
        self.every = settings.KREDITAX_TRAINING_PROGRESS_SECONDS
        self.stage = ""
        self.written_at = 0.0

    def __call__(self, stage: str, fraction: float) -> None:
        now = time.monotonic()
        if stage == self.stage and now - self.written_at < self.every:
            return
        self.stage, self.written_at = stage, now
        TrainingRun.objects.filter(pk=self.run_id).update(
            stage=stage[:80], progress=min(max(fraction, 0.0), 1.0), heartbeat_at=timezone.now()
        )
        if TrainingRun.objects.filter(pk=self.run_id, cancel_requested=True).exists():
            raise TrainingCancelled()


# --------------------------------------------------------------------------------------
# Cancel
# --------------------------------------------------------------------------------------


def training_run_cancel(*, run_id: int, by: User | None) -> TrainingRun:
    """Cancel a run: QUEUED ends CANCELLED now; RUNNING is asked to stop.

    A RUNNING run's worker sees the request at its next progress callback, removes the
    partial artifact and ends CANCELLED. Raises ``TrainingRunNotCancellable`` (nothing
    written) for a finished run. The Celery task is revoked after commit.
    """
    with transaction.atomic():
        run = TrainingRun.objects.select_for_update().get(pk=run_id)
        if run.is_finished or run.cancel_requested:
            raise TrainingRunNotCancellable(f"Training run {run.pk} is {run.status}.")
        run.cancel_requested, run.cancelled_by = True, by
        run.save(update_fields=["cancel_requested", "cancelled_by"])
        if run.status == Status.QUEUED:
            _set_finished(run, Status.CANCELLED, error="Cancelled before it started.")
        task_id = run.celery_task_id
        transaction.on_commit(lambda: task_revoke(task_id))
    logger.info("training run %s: cancel requested by %s", run.pk, by)
    return run


# --------------------------------------------------------------------------------------
# Reaper
# --------------------------------------------------------------------------------------


def training_runs_reap_stale(*, now: datetime | None = None) -> list[int]:
    """Fail RUNNING runs whose heartbeat is older than ``KREDITAX_TRAINING_STALE_SECONDS``,
    and QUEUED runs older than ``KREDITAX_TRAINING_QUEUED_SECONDS`` (their task never
    reached a worker: the broker lost it, or the process that was to run it died).

    A RUNNING one becomes FAILED ("worker lost"), its PENDING version FAILED, its partial
    artifact directory (and staging directories) removed; a QUEUED one becomes FAILED
    ("never started"). The champion is untouched. Returns the ids of the reaped runs, in
    id order.
    """
    return stale_runs_reap(
        TrainingRun,
        fail=_fail_unfinished,
        stale_seconds=settings.KREDITAX_TRAINING_STALE_SECONDS,
        queued_seconds=settings.KREDITAX_TRAINING_QUEUED_SECONDS,
        now=now,
    )


def _fail_unfinished(run: TrainingRun, message: str) -> str:
    """``stale_runs_reap``'s ``fail``: a lost RUNNING run takes its PENDING version down."""
    if run.status == Status.RUNNING and run.model_version_id is not None:
        version = ModelVersion.objects.select_for_update().get(pk=run.model_version_id)
        if version.status == ModelVersion.Status.PENDING:
            model_version_mark_failed(version=version, exc=TrainingCancelled(), message=message)
        staging_dirs_remove(label=version.label)
    _set_finished(run, Status.FAILED, error=message)
    return message


def staging_dirs_remove(*, label: str) -> None:
    """Remove ``save_artifact``'s hidden staging directories of ``label`` (a killed save)."""
    root = Path(settings.KREDITAX_ARTIFACT_DIR)
    if root.is_dir():
        for staging in root.glob(f".{label}.*.tmp"):
            artifact_dir_remove(staging)


# --------------------------------------------------------------------------------------
# Scheduled retrain
# --------------------------------------------------------------------------------------

DATA_SUFFIXES = (".csv", ".parquet", ".pq")


def newest_data_file(*, folder: Path) -> Path | None:
    """The most recently modified ``.csv``/``.parquet`` file in ``folder`` (not recursive)."""
    if not folder.is_dir():
        return None
    files = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in DATA_SUFFIXES]
    return max(files, key=lambda p: (p.stat().st_mtime, p.name), default=None)


def retrain_from_folder() -> TrainingRun | None:
    """Queue a run on the newest file of ``KREDITAX_RETRAIN_DIR``; None if there is none.

    Uses ``KREDITAX_RETRAIN_SPEC`` and ``KREDITAX_RETRAIN_ALGORITHM``; requested by no one.
    """
    folder = settings.KREDITAX_RETRAIN_DIR
    newest = newest_data_file(folder=Path(folder)) if folder else None
    if newest is None:
        logger.warning("scheduled retrain: no data file in %s", folder)
        return None
    return training_run_start(
        data_path=newest,
        algorithm=settings.KREDITAX_RETRAIN_ALGORITHM,
        params={},
        spec_path=settings.KREDITAX_RETRAIN_SPEC,
        requested_by=None,
    )
