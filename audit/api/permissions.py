"""Who may read the audit trail over the API: signed-in reviewers, never a loan system's key."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, permissions
from rest_framework.request import Request

from registry.api_keys import api_client_of

VIEW_PERMISSION = "audit.view_decisionrecord"
EXPORT_PERMISSION = "audit.export_decisionrecord"


class CanViewAudit(permissions.BasePermission):
    """A signed-in user holding ``audit.view_decisionrecord``; API keys get 403."""

    required: tuple[str, ...] = (VIEW_PERMISSION,)

    def has_permission(self, request: Request, view: Any) -> bool:
        if api_client_of(request) is not None:
            return False
        user = request.user
        if not user or not user.is_authenticated:
            raise exceptions.NotAuthenticated()
        return bool(user.has_perms(self.required))


class CanExportAudit(CanViewAudit):
    required = (VIEW_PERMISSION, EXPORT_PERMISSION)
