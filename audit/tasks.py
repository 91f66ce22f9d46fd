"""Celery tasks of the audit trail: another interface to the services."""

from __future__ import annotations

from celery import shared_task

from audit.sealing import audit_events_seal, audit_seal


@shared_task(name="audit.tasks.seal_audit_trail")
def seal_audit_trail() -> int | None:
    """Seal the settled records (run by beat every minute); returns the new sequence."""
    checkpoint = audit_seal()
    audit_events_seal()
    return checkpoint.sequence if checkpoint else None
