"""Celery tasks of monitoring: another interface to the services."""

from __future__ import annotations

from datetime import date
from typing import Any

from celery import shared_task

from monitoring.snapshots import snapshot_day_default, snapshot_summary, snapshots_for_day


@shared_task(name="monitoring.tasks.snapshot_previous_day")
def snapshot_previous_day(day: str | None = None) -> dict[str, Any]:
    """Snapshot yesterday (or ``day``, ISO) for every version and client (run daily by beat)."""
    chosen = date.fromisoformat(day) if day else snapshot_day_default()
    return snapshot_summary(snapshots_for_day(day=chosen))
