"""API-key authentication of loan systems: ``Authorization: Api-Key <key>``.

A valid key authenticates as the ``ApiClient`` (``request.auth``) with an anonymous user; a
revoked, expired or unknown key is a 401. The key itself is checked against its stored
SHA-512 hash and its expiry on every request; a worker may reuse a client row it read less
than ``KREDITAX_API_KEY_REFRESH_SECONDS`` ago (default 2; 0 reads it on every request), so a
revocation reaches every worker within that many seconds.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request
from rest_framework_api_key.permissions import KeyParser

from registry.models import ApiClient

#: Clients read recently in this process: prefix -> (monotonic time of the read, client).
_recent: dict[str, tuple[float, ApiClient]] = {}
_recent_lock = threading.Lock()
_MAX_RECENT = 1000


def _client_by_prefix(prefix: str) -> ApiClient | None:
    """The client row of ``prefix`` (with its rule set), read again once it is stale."""
    refresh = float(settings.KREDITAX_API_KEY_REFRESH_SECONDS)
    now = time.monotonic()
    known = _recent.get(prefix) if refresh > 0 else None
    if known is not None and now - known[0] < refresh:
        return known[1]
    client = ApiClient.objects.select_related("rule_set").filter(prefix=prefix).first()
    if client is not None and refresh > 0:  # unknown prefixes are never remembered
        with _recent_lock:
            if len(_recent) >= _MAX_RECENT:
                _recent.clear()
            _recent[prefix] = (now, client)
    return client


def forget_clients() -> None:
    """Forget the clients read so far (tests; a revocation does not need it)."""
    with _recent_lock:
        _recent.clear()


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Api-Key"
    parser = KeyParser()

    def authenticate(self, request: Request) -> tuple[AnonymousUser, ApiClient] | None:
        key = self.parser.get(request)
        if key is None:
            return None
        client = _client_by_prefix(key.partition(".")[0])
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


class ApiKeyScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call,unused-ignore]
    """Documents ``Authorization: Api-Key <key>`` in the OpenAPI schema."""

    target_class = "registry.api_keys.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Send `Authorization: Api-Key <key>`.",
        }
