"""Celery tasks of the scoring app: thin interfaces over services."""

from __future__ import annotations

from celery import shared_task

from scoring.services import idempotency_records_prune


@shared_task
def prune_idempotency_records() -> int:
    """Run daily by beat; returns how many records were forgotten."""
    return idempotency_records_prune()
