"""Portfolio runs: queue, execute (Celery worker, background thread without a broker, or
in-process for ``score_portfolio``), cancel. The scoring itself is ``credit_ml.portfolio``
on one machine and ``credit_ml.distributed`` on the Dask cluster of
``KREDITAX_DASK_SCHEDULER``.

State machine as for training runs: QUEUED → RUNNING → SUCCEEDED | FAILED | CANCELLED, and
QUEUED → CANCELLED | FAILED, every transition under ``select_for_update``. A finished run
(whatever its end) is appended to the audit trail with its hashes
(``audit.PortfolioRunRecord``) in the transaction that finishes it, once: the first to
finish it (the worker, a cancel, or the reaper of a run whose worker was lost) wins, and
the others leave it as it is.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from audit.services import PortfolioRunAudit, portfolio_run_record_create
from credit_ml.artifacts import ArtifactError
from credit_ml.portfolio import (
    ChunkRules,
    Counts,
    ModelRef,
    PortfolioCancelled,
    PortfolioInputError,
    all_cores,
    count_rows,
    input_files,
    partial_remove,
    path_sha256,
    score_files,
)
from portfolio.models import PortfolioRun
from registry.errors import ModelVersionNotReady
from registry.models import ModelVersion, RuleSet
from registry.runs import stale_runs_reap, task_revoke
from registry.selectors import champion_version, rule_set_policy
from registry.services import model_version_load

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

Status = PortfolioRun.Status

#: The rule set a run uses when none is named (the latest version of this name).
DEFAULT_RULE_SET = "fintech"


class PortfolioRefused(ValueError):
    """The request cannot be run; ``field`` names what is wrong. Nothing was written."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class PortfolioRunNotCancellable(ValueError):
    """The run has already finished (or a cancel was already asked); nothing was written."""


class InputChanged(Exception):
    """The input changed between queueing and execution."""


class ClusterUnavailable(RuntimeError):
    """The Dask scheduler of ``KREDITAX_DASK_SCHEDULER`` could not be reached."""


@dataclass(frozen=True)
class PortfolioRequest:
    """What a person asks for: input and output paths, and optionally a model version's
    label (default: the champion), a rule set's name or version (default: the latest
    fintech set) and the as-of date (default: today in the service's time zone)."""

    data_path: Path
    out_path: Path
    model_label: str | None = None
    rule_set: str | None = None
    as_of: date | None = None


# --------------------------------------------------------------------------------------
# Start
# --------------------------------------------------------------------------------------


def portfolio_run_create(
    *, request: PortfolioRequest, requested_by: User | None, task_id: str = ""
) -> PortfolioRun:
    """Check the request and create a QUEUED run (enqueued nowhere). Raises
    ``PortfolioRefused`` naming the field (nothing written)."""
    version = _version(request.model_label)
    rule_set = _rule_set(request.rule_set or DEFAULT_RULE_SET)
    files = _files(request.data_path)
    if request.out_path.exists():
        raise PortfolioRefused("out_path", "The output already exists; choose a new path.")
    return PortfolioRun.objects.create(
        engine="dask" if settings.KREDITAX_DASK_SCHEDULER else "local",
        data_path=str(request.data_path),
        input_sha256=path_sha256(request.data_path),
        out_path=str(request.out_path),
        model_version=version,
        rule_set=rule_set,
        as_of=request.as_of or timezone.localdate(),
        rows_total=count_rows(files),
        requested_by=requested_by,
        celery_task_id=task_id,
    )


def portfolio_run_start(*, request: PortfolioRequest, requested_by: User | None) -> PortfolioRun:
    """``portfolio_run_create`` and enqueue ``run_portfolio`` on commit (without a broker:
    a background thread of this process after the commit, so a web request answers at
    once)."""
    run = portfolio_run_create(
        request=request, requested_by=requested_by, task_id=str(uuid.uuid4())
    )
    transaction.on_commit(lambda: _enqueue(run))
    logger.info("portfolio run %s queued (task %s)", run.pk, run.celery_task_id)
    return run


def _version(label: str | None) -> ModelVersion:
    if not label:
        version = champion_version()
        if version is None:
            raise PortfolioRefused("model", "No champion model is registered; name a version.")
        return version
    version = ModelVersion.objects.filter(label=label).first()
    if version is None:
        raise PortfolioRefused("model", f"No model version is labelled {label!r}.")
    if version.status != ModelVersion.Status.READY:
        raise PortfolioRefused("model", f"Model version {label} is {version.status}, not READY.")
    return version


def _rule_set(name: str) -> RuleSet:
    """A rule set by its version (``fintech-2026.2``) or the latest of a name (``fintech``)."""
    found = RuleSet.objects.filter(version=name).first()
    found = found or RuleSet.objects.filter(name=name).order_by("-created_at", "-id").first()
    if found is None:
        raise PortfolioRefused("rule_set", f"No rule set is named {name!r}.")
    return found


def _files(path: Path) -> list[Path]:
    try:
        return input_files(path)
    except PortfolioInputError as exc:
        raise PortfolioRefused("data_path", str(exc)) from exc


def _enqueue(run: PortfolioRun) -> None:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        threading.Thread(
            target=_execute_in_background, args=(run.pk,), name=f"portfolio-run-{run.pk}"
        ).start()
        return
    from portfolio.tasks import run_portfolio  # tasks import this module

    run_portfolio.apply_async(args=[run.pk], task_id=run.celery_task_id)


def _execute_in_background(run_id: int) -> None:
    try:
        portfolio_run_execute(run_id=run_id)
    except Exception:  # the run records its own failures; this is anything beyond them
        logger.exception("portfolio run %s: background execution failed", run_id)
    finally:
        connection.close()


# --------------------------------------------------------------------------------------
# Execute
# --------------------------------------------------------------------------------------


def portfolio_run_execute(*, run_id: int) -> PortfolioRun:
    """Score the input of a QUEUED run; anything else is returned unchanged (a retried task
    does nothing). Ends SUCCEEDED (output complete, its SHA-256 kept), FAILED (readable
    error, no output written) or CANCELLED (no output written); audited in every case. An
    output that appeared since the run was queued is never replaced."""
    run = _claim(run_id=run_id)
    if run is None:
        return PortfolioRun.objects.get(pk=run_id)
    progress = _ProgressWriter(run=run)
    try:
        if path_sha256(Path(run.data_path)) != run.input_sha256:
            raise InputChanged()
        if Path(run.out_path).exists():
            raise PortfolioInputError("The output appeared after the run was queued; not replaced.")
        counts = _score(run, progress)
    except BaseException as exc:
        if not isinstance(exc, PortfolioCancelled):
            logger.exception("portfolio run %s failed", run.pk)
        # Nothing to remove: the scoring writes beside the output and renames only when done.
        _finish(run=run, counts=progress.counts, exc=exc)
        if not isinstance(exc, Exception):
            raise  # SystemExit, KeyboardInterrupt: the worker is going down
        return PortfolioRun.objects.get(pk=run.pk)
    return _finish(run=run, counts=counts, exc=None)


def _claim(*, run_id: int) -> PortfolioRun | None:
    with transaction.atomic():
        run = PortfolioRun.objects.select_for_update().get(pk=run_id)
        if run.status != Status.QUEUED:
            logger.info("portfolio run %s is %s: nothing to do", run.pk, run.status)
            return None
        run.status = Status.RUNNING
        run.started_at = run.heartbeat_at = timezone.now()
        run.save(update_fields=["status", "started_at", "heartbeat_at"])
    return run


def _score(run: PortfolioRun, progress: _ProgressWriter) -> Counts:
    rules = ChunkRules(rule_set=rule_set_policy(rule_set=run.rule_set), on=run.as_of)
    version = run.model_version
    if run.engine == "dask":
        return _score_on_cluster(run, version, rules, progress)
    model = model_version_load(version=version)
    model.set_threads(settings.KREDITAX_PORTFOLIO_THREADS or all_cores())
    return score_files(
        model,
        Path(run.data_path),
        Path(run.out_path),
        rules=rules,
        progress=progress,
        chunk_rows=settings.KREDITAX_PORTFOLIO_CHUNK_ROWS,
    )


def _score_on_cluster(
    run: PortfolioRun, version: ModelVersion, rules: ChunkRules, progress: _ProgressWriter
) -> Counts:
    from credit_ml.distributed import cluster_size, connect, score_on_cluster

    if version.status != ModelVersion.Status.READY:
        raise ModelVersionNotReady(f"Model version {version.label} is {version.status}.")
    ref = ModelRef(label=version.label, path=version.artifact_path, sha256=version.artifact_sha256)
    address = settings.KREDITAX_DASK_SCHEDULER
    try:
        client = connect(address)
    except (OSError, TimeoutError) as exc:
        raise ClusterUnavailable(f"Could not reach the Dask scheduler at {address}.") from exc
    with client:
        PortfolioRun.objects.filter(pk=run.pk).update(cluster=cluster_size(client))
        return score_on_cluster(
            client, ref, Path(run.data_path), Path(run.out_path), rules=rules, progress=progress
        )


def _finish(*, run: PortfolioRun, counts: Counts, exc: BaseException | None) -> PortfolioRun:
    """RUNNING → its end, audited. A run that ended meanwhile (the reaper failed it: its
    worker seemed lost) stays as it ended, and an output this worker completed since is
    removed: only a SUCCEEDED run has one."""
    out = Path(run.out_path)
    output_sha256 = path_sha256(out) if exc is None else ""
    with transaction.atomic():
        locked = PortfolioRun.objects.select_for_update().get(pk=run.pk)
        ended = locked.status != Status.RUNNING
        if not ended:
            _end(locked, counts=counts, exc=exc, output_sha256=output_sha256)
    if not ended:
        logger.info("portfolio run %s ended %s", run.pk, locked.status)
        return locked
    logger.warning("portfolio run %s had already ended %s", run.pk, locked.status)
    if exc is None:  # this worker completed an output no record names
        if out.is_dir():
            shutil.rmtree(out, ignore_errors=True)
        else:
            out.unlink(missing_ok=True)
    return locked


def _end(
    locked: PortfolioRun, *, counts: Counts, exc: BaseException | None, output_sha256: str
) -> None:
    """Write a RUNNING run's end and its audit record (within the caller's transaction)."""
    locked.status = _final_status(exc)
    locked.error = _message(exc)
    locked.output_sha256 = output_sha256
    locked.rows_done, locked.rows_scored, locked.rows_invalid = (
        counts.rows,
        counts.scored,
        counts.invalid,
    )
    locked.invalid_rows = list(counts.invalid_rows)
    if exc is None:
        locked.rows_total = counts.rows  # exact now, also for CSV
    locked.finished_at = timezone.now()
    locked.save()
    portfolio_run_record_create(run=portfolio_run_audit(locked))


def _final_status(exc: BaseException | None) -> str:
    if exc is None:
        return Status.SUCCEEDED
    return Status.CANCELLED if isinstance(exc, PortfolioCancelled) else Status.FAILED


def _message(exc: BaseException | None) -> str:
    """A readable message for people; never a traceback or a row's data."""
    if exc is None:
        return ""
    if isinstance(exc, PortfolioCancelled):
        return "Cancelled."
    if isinstance(exc, InputChanged):
        return "The input changed after the run was queued; queue a new run."
    if isinstance(
        exc, (PortfolioInputError, ArtifactError, ModelVersionNotReady, ClusterUnavailable)
    ):
        return str(exc)
    if isinstance(exc, OSError):
        return f"Could not read or write a file: {exc.strerror or type(exc).__name__}."
    return f"The run failed ({type(exc).__name__}); see the worker's log."


def portfolio_run_audit(run: PortfolioRun) -> PortfolioRunAudit:
    assert run.finished_at is not None
    return PortfolioRunAudit(
        run_id=run.pk,
        status=run.status,
        engine=run.engine,
        model_version=run.model_version,
        rule_set=run.rule_set,
        as_of=run.as_of,
        input_path=run.data_path,
        input_sha256=run.input_sha256,
        output_path=run.out_path,
        output_sha256=run.output_sha256,
        rows=run.rows_done,
        scored=run.rows_scored,
        invalid=run.rows_invalid,
        started_by=run.requested_by,
        started_at=run.started_at,
        finished_at=run.finished_at,
    )


class _ProgressWriter:
    """The progress callback of a run: after each chunk it writes the rows done, the rate
    and the heartbeat, and raises ``PortfolioCancelled`` once a cancel was asked or the run
    ended otherwise (the reaper failed it)."""

    def __init__(self, *, run: PortfolioRun) -> None:
        self.run_id = run.pk
        self.started = time.monotonic()
        self.counts = Counts(0, 0, 0)

    def __call__(self, counts: Counts) -> None:
        self.counts = counts
        elapsed = max(time.monotonic() - self.started, 1e-9)
        # Only while RUNNING: a run that ended (reaped) keeps the figures it was audited with.
        PortfolioRun.objects.filter(pk=self.run_id, status=Status.RUNNING).update(
            rows_done=counts.rows,
            rows_scored=counts.scored,
            rows_invalid=counts.invalid,
            invalid_rows=list(counts.invalid_rows),
            rows_per_second=counts.rows / elapsed,
            heartbeat_at=timezone.now(),
        )
        stop = Q(cancel_requested=True) | ~Q(status=Status.RUNNING)
        if PortfolioRun.objects.filter(stop, pk=self.run_id).exists():
            raise PortfolioCancelled()


# --------------------------------------------------------------------------------------
# Cancel
# --------------------------------------------------------------------------------------


def portfolio_run_cancel(*, run_id: int, by: User | None) -> PortfolioRun:
    """Cancel a run: QUEUED ends CANCELLED now (and audited); RUNNING is asked to stop and
    stops after its current chunk, removing its partial output. Raises
    ``PortfolioRunNotCancellable`` (nothing written) for a finished run."""
    with transaction.atomic():
        run = PortfolioRun.objects.select_for_update().get(pk=run_id)
        if run.is_finished or run.cancel_requested:
            raise PortfolioRunNotCancellable(f"Portfolio run {run.pk} is {run.status}.")
        run.cancel_requested, run.cancelled_by = True, by
        run.save(update_fields=["cancel_requested", "cancelled_by"])
        if run.status == Status.QUEUED:
            run.status, run.error, run.finished_at = (
                Status.CANCELLED,
                "Cancelled before it started.",
                timezone.now(),
            )
            run.save(update_fields=["status", "error", "finished_at"])
            portfolio_run_record_create(run=portfolio_run_audit(run))
        task_id = run.celery_task_id
        transaction.on_commit(lambda: task_revoke(task_id))
    logger.info("portfolio run %s: cancel requested", run.pk)
    return run


# --------------------------------------------------------------------------------------
# Reaper
# --------------------------------------------------------------------------------------


def portfolio_runs_reap_stale(*, now: datetime | None = None) -> list[int]:
    """Fail RUNNING runs whose heartbeat (written with every chunk's progress) is older than
    ``KREDITAX_PORTFOLIO_STALE_SECONDS``, and QUEUED runs older than
    ``KREDITAX_PORTFOLIO_QUEUED_SECONDS`` (their task never reached a worker).

    A RUNNING one becomes FAILED ("worker lost") with the counts of its last progress, and
    its partial output (``credit_ml.portfolio.partial_path``) is removed; a QUEUED one
    becomes FAILED ("never started"). Each is audited as every finished run is. A worker
    that was only slow finds its run FAILED at its next progress and stops. Returns the
    ids of the reaped runs, in id order.
    """
    return stale_runs_reap(
        PortfolioRun,
        fail=_fail_unfinished,
        stale_seconds=settings.KREDITAX_PORTFOLIO_STALE_SECONDS,
        queued_seconds=settings.KREDITAX_PORTFOLIO_QUEUED_SECONDS,
        now=now,
    )


def _fail_unfinished(run: PortfolioRun, message: str) -> str:
    """``stale_runs_reap``'s ``fail``: a lost RUNNING run's partial output goes too."""
    if run.status == Status.RUNNING and partial_remove(Path(run.out_path)):
        message += " Its partial output was removed."
    _fail(run, message)
    return message


def _fail(run: PortfolioRun, message: str) -> None:
    """An unfinished run FAILED with ``message``, no output, and audited (in the caller's
    transaction, the run locked)."""
    run.status, run.error, run.output_sha256 = Status.FAILED, message, ""
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "error", "output_sha256", "finished_at"])
    portfolio_run_record_create(run=portfolio_run_audit(run))
