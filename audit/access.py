"""The access log: every decision page viewed and every export, append-only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from audit.models import AuditAccess


def audit_access_record(
    *,
    user: AbstractBaseUser | AnonymousUser,
    action: str,
    what: Mapping[str, Any],
    row_count: int,
) -> AuditAccess:
    """Record who did ``action`` on ``what`` (a request id or a filter; never raw PII)."""
    return AuditAccess.objects.create(
        user_id=user.pk if user.is_authenticated else None,
        action=action,
        what=dict(what),
        row_count=row_count,
    )
