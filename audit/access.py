"""The access log: every decision page viewed and every export, and every sign-in lockout;
append-only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from audit.masking import mask_reference
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


def login_lockout_record(*, username: str, path: str, failures: int) -> AuditAccess:
    """Record that sign-ins were locked out after ``failures`` failed ones at ``path``.

    The person is the one whose name was tried, if such a person exists; the name itself is
    kept masked (what was typed may be anything, a NIK or a password included).
    """
    model = get_user_model()
    person = model._default_manager.filter(**{model.USERNAME_FIELD: username}).first()
    return AuditAccess.objects.create(
        user_id=person.pk if person is not None else None,
        action=AuditAccess.Action.LOCKOUT,
        what={"sign_in": path, "username": mask_reference(username), "failures": failures},
        row_count=0,
    )
