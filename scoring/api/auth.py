"""API-key authentication for loan systems and the scoring permission.

``Authorization: Api-Key <key>``. A valid key authenticates as the ``ApiClient`` (``request.auth``)
with an anonymous user; a revoked, expired or unknown key is a 401. Staff users signed in to
the admin may score too when they hold ``scoring.score_applications``; users holding
``audit.view_decisionrecord`` may read any decision's waterfall, and users holding
``training.view_modelversion`` the model cards.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request
from rest_framework_api_key.permissions import KeyParser

from scoring.models import ApiClient

SCORE_PERMISSION = "scoring.score_applications"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Api-Key"
    parser = KeyParser()

    def authenticate(self, request: Request) -> tuple[AnonymousUser, ApiClient] | None:
        key = self.parser.get(request)
        if key is None:
            return None
        try:
            client = ApiClient.objects.select_related("rule_set").get(prefix=key.partition(".")[0])
        except ApiClient.DoesNotExist:
            client = None
        if client is None or not client.is_valid(key):
            raise exceptions.AuthenticationFailed("The API key is invalid.")
        if client.revoked:
            raise exceptions.AuthenticationFailed("The API key has been revoked.")
        if client.has_expired:
            raise exceptions.AuthenticationFailed("The API key has expired.")
        return AnonymousUser(), client

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


def api_client_of(request: Request) -> ApiClient | None:
    return request.auth if isinstance(request.auth, ApiClient) else None


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

    permission = "training.view_modelversion"


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """Documents ``Authorization: Api-Key <key>`` in the OpenAPI schema."""

    target_class = "scoring.api.auth.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Send `Authorization: Api-Key <key>`.",
        }
