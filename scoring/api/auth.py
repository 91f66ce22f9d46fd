"""Who may use the scoring API: loan systems' keys (``registry.api_keys``) and people.

Staff users signed in to the admin may score too when they hold
``registry.score_applications``; users holding ``audit.view_decisionrecord`` may read any
decision's waterfall, and users holding ``registry.view_modelversion`` the model cards.
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, permissions
from rest_framework.request import Request

from registry.api_keys import api_client_of

SCORE_PERMISSION = "registry.score_applications"


class CanScore(permissions.BasePermission):
    """A loan system's key, or a signed-in user holding the scoring permission."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if api_client_of(request) is not None:
            return True
        user = request.user
        if not user or not user.is_authenticated:
            raise exceptions.NotAuthenticated()
        return bool(user.has_perm(SCORE_PERMISSION))


class _UserPermission(permissions.BasePermission):
    """A signed-in user holding ``permission``; a loan system's key is not a user (refused)."""

    permission = ""

    def has_permission(self, request: Request, view: Any) -> bool:
        if api_client_of(request) is not None:
            return False
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm(self.permission))


class CanReviewDecisions(_UserPermission):
    """Compliance officers and auditors: may read any recorded decision's explanation."""

    permission = "audit.view_decisionrecord"


class CanViewModelCards(_UserPermission):
    """Model managers and compliance officers: may read model cards without scoring."""

    permission = "registry.view_modelversion"
