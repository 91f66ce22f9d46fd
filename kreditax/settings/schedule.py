"""Celery beat schedules from settings values. Imports no app: tasks are named by string."""

from __future__ import annotations

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured


def crontab_from(name: str, expression: str) -> crontab:
    """The five-field crontab (minute hour day-of-month month day-of-week) in ``name``.

    Anything else is refused with ``ImproperlyConfigured`` naming the variable.
    """
    fields = expression.split()
    if len(fields) != 5:
        raise ImproperlyConfigured(
            f"{name} must have five fields (minute hour day month weekday), got {expression!r}."
        )
    minute, hour, day_of_month, month_of_year, day_of_week = fields
    try:
        return crontab(
            minute=minute,
            hour=hour,
            day_of_month=day_of_month,
            month_of_year=month_of_year,
            day_of_week=day_of_week,
        )
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"{name} is not a valid crontab ({exc}): {expression!r}."
        ) from None
