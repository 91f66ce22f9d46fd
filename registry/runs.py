"""What every job a worker runs shares: the heartbeat, the reaper of lost runs, revoking.

Training, portfolio and simulation runs are rows with a ``status`` (``RunStatus``), a
``created_at`` and a ``heartbeat_at`` that the worker refreshes while it works. A worker can
die without a word (killed, out of memory, the machine gone) and a task can be lost before
any worker takes it; the beat tasks call ``stale_runs_reap`` so that such a run ends FAILED
with a readable reason instead of staying RUNNING or QUEUED for ever. Each app says what
failing one of its runs involves (its ``fail`` callback: removing a partial output, failing
a pending model version, an audit record).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from celery import current_app
from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from registry.models import RunStatus

logger = logging.getLogger(__name__)

__all__ = ["Heartbeat", "stale_runs_reap", "task_revoke"]


class _Run(Protocol):
    pk: Any
    status: str
    created_at: datetime
    heartbeat_at: datetime | None


#: ``fail(run, message)``: end the locked, unfinished ``run`` FAILED with ``message`` (and
#: whatever else failing such a run involves), inside the caller's transaction; returns the
#: message it recorded. ``run.status`` still says what the run was (QUEUED or RUNNING).
type Fail[RunT: models.Model] = Callable[[RunT, str], str]


def stale_runs_reap[RunT: models.Model](
    model: type[RunT],
    *,
    fail: Fail[RunT],
    stale_seconds: float,
    queued_seconds: float,
    now: datetime | None = None,
) -> list[int]:
    """Fail the RUNNING runs of ``model`` whose heartbeat is older than ``stale_seconds``
    ("Worker lost: no heartbeat since ...") and the QUEUED ones created more than
    ``queued_seconds`` ago ("Never started: ..."). Each run is locked and checked again
    before ``fail``, so a run that finished, beat or was claimed meanwhile is left alone.
    Returns the ids of the reaped runs, in id order."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=stale_seconds)
    queued_cutoff = now - timedelta(seconds=queued_seconds)
    manager: Any = model._default_manager
    running = manager.filter(status=RunStatus.RUNNING, heartbeat_at__lt=cutoff)
    queued = manager.filter(status=RunStatus.QUEUED, created_at__lt=queued_cutoff)

    def lost(run: _Run) -> str | None:
        beat = run.heartbeat_at
        if run.status != RunStatus.RUNNING or beat is None or beat >= cutoff:
            return None  # it finished or beat again since we looked
        return f"Worker lost: no heartbeat since {beat.isoformat()}."

    def never_started(run: _Run) -> str | None:
        if run.status != RunStatus.QUEUED or run.created_at >= queued_cutoff:
            return None  # a worker claimed it since we looked
        return (
            f"Never started: its task did not reach a worker since it was queued at "
            f"{run.created_at.isoformat()}."
        )

    reaped = [pk for pk in _ids(running) if _reap(model, pk, lost, fail)]
    reaped += [pk for pk in _ids(queued) if _reap(model, pk, never_started, fail)]
    return sorted(reaped)


def _ids(runs: Any) -> list[int]:
    return list(runs.order_by("pk").values_list("pk", flat=True))


def _reap[RunT: models.Model](
    model: type[RunT], run_id: int, reason: Callable[[Any], str | None], fail: Fail[RunT]
) -> bool:
    with transaction.atomic():
        run = model._default_manager.select_for_update().get(pk=run_id)
        message = reason(run)
        if message is None:
            return False
        message = fail(run, message)
    logger.warning("%s %s reaped: %s", model._meta.verbose_name, run_id, message)
    return True


class Heartbeat:
    """A daemon thread that refreshes a RUNNING run's ``heartbeat_at`` every ``every``
    seconds (none when ``every`` is 0).

    A run's progress reaches the database between its steps; this keeps one long step from
    looking like a lost worker. It uses (and closes) its own database connection, and a
    missed beat never breaks the work itself.
    """

    def __init__(self, model: type[models.Model], *, run_id: int, every: float) -> None:
        self.model, self.run_id, self.every = model, run_id, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True, name=f"hb-{run_id}")

    def __enter__(self) -> Heartbeat:
        if self.every > 0:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        manager: Any = self.model._default_manager
        try:
            while not self._stop.wait(self.every):
                manager.filter(pk=self.run_id, status=RunStatus.RUNNING).update(
                    heartbeat_at=timezone.now()
                )
        except Exception:
            logger.exception("%s %s: heartbeat failed", self.model._meta.verbose_name, self.run_id)
        finally:
            connection.close()


def task_revoke(task_id: str) -> None:
    """Revoke a run's Celery task, best effort: the run's state, not the broker, is the
    source of truth (a worker that gets the task anyway finds the run ended)."""
    if not task_id or settings.CELERY_TASK_ALWAYS_EAGER:
        return
    try:
        current_app.control.revoke(task_id)  # the project's app (kreditax.celery)
    except Exception:  # broker down: the worker will still find the run ended
        logger.warning("could not revoke task %s", task_id, exc_info=True)
