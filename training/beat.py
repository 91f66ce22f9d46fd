"""The Celery beat schedule of the training app. Pure: safe to import from settings.

In ``kreditax/settings/base.py``::

    from training.beat import beat_schedule
    CELERY_BEAT_SCHEDULE = beat_schedule(retrain_cron=env("KREDITAX_RETRAIN_CRON", ""))

``retrain_cron`` is a five-field crontab (minute hour day-of-month month day-of-week), e.g.
``"0 2 1 * *"`` for 02:00 on the first of every month (in ``CELERY_TIMEZONE``); empty
disables the scheduled retrain. The retrain trains on the newest ``.csv``/``.parquet``
file in ``KREDITAX_RETRAIN_DIR`` (with ``KREDITAX_RETRAIN_SPEC`` if set) and never
promotes: the new version waits for a person (or becomes challenger by hand).
"""

from __future__ import annotations

from typing import Any

from celery.schedules import crontab

#: How often the reaper looks for runs whose worker was lost (seconds).
REAP_EVERY_SECONDS = 60.0


def beat_schedule(*, retrain_cron: str = "") -> dict[str, dict[str, Any]]:
    """The reaper every minute, plus the retrain when ``retrain_cron`` is set."""
    schedule: dict[str, dict[str, Any]] = {
        "training-reap-stale-runs": {
            "task": "training.tasks.reap_stale_training_runs",
            "schedule": REAP_EVERY_SECONDS,
        }
    }
    if retrain_cron.strip():
        schedule["training-scheduled-retrain"] = {
            "task": "training.tasks.scheduled_retrain",
            "schedule": parse_cron(retrain_cron),
        }
    return schedule


def parse_cron(expression: str) -> crontab:
    """A five-field crontab; raises ``ValueError`` naming the expression otherwise."""
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(
            f"KREDITAX_RETRAIN_CRON must have five fields (minute hour day month weekday), "
            f"got {expression!r}."
        )
    minute, hour, day_of_month, month_of_year, day_of_week = fields
    return crontab(
        minute=minute,
        hour=hour,
        day_of_month=day_of_month,
        month_of_year=month_of_year,
        day_of_week=day_of_week,
    )
