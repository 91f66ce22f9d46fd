"""API-key authentication of loan systems: ``Authorization: Api-Key <key>``.

A valid key authenticates as the ``ApiClient`` (``request.auth``) with an anonymous user; a
revoked, expired or unknown key is a 401. The key itself is checked against its stored
SHA-512 hash and its expiry on every request; a worker may reuse a client row it read less
than ``KREDITAX_API_KEY_REFRESH_SECONDS`` ago (default 2; 0 reads it on every request), so a
revocation reaches every worker within that many seconds.

Failed attempts are counted per source address (``REMOTE_ADDR``: behind a trusted reverse
proxy, the client's, see ``scoring.api.client_address``) in the ``throttle`` cache; once an
address has failed ``KREDITAX_API_KEY_FAILURES`` times ("20/min") within the period, its
requests with a key are refused with 429 before any key is looked up, until the period has
passed.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import caches
from django.db.models import Exists, OuterRef
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from redis.exceptions import RedisError
from rest_framework import authentication, exceptions
from rest_framework.request import Request
from rest_framework_api_key.permissions import KeyParser

from registry.models import ApiClient, RuleSet

logger = logging.getLogger(__name__)

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
    client: ApiClient | None = (
        ApiClient.objects.select_related("rule_set")
        .annotate(rule_set_succeeded=Exists(_published_successors))
        .filter(prefix=prefix)
        .first()
    )
    if client is not None and refresh > 0:  # unknown prefixes are never remembered
        with _recent_lock:
            if len(_recent) >= _MAX_RECENT:
                _recent.clear()
            _recent[prefix] = (now, client)
    return client


#: Published versions that succeed the client's rule set (``rule_set_of_client``).
_published_successors = RuleSet.objects.filter(
    based_on=OuterRef("rule_set_id"), status=RuleSet.Status.PUBLISHED
)


def forget_clients() -> None:
    """Forget the clients read so far (tests; a revocation does not need it)."""
    with _recent_lock:
        _recent.clear()


_PERIODS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400}


def failure_limit() -> tuple[int, int]:
    """``KREDITAX_API_KEY_FAILURES`` ("20/min") as (failures, seconds)."""
    count, _, period = str(settings.KREDITAX_API_KEY_FAILURES).partition("/")
    return int(count), _PERIODS[period]


def _failures_key(request: Request) -> str:
    return f"kreditax:api-key-failures:{request.META.get('REMOTE_ADDR', '')}"


# --------------------------------------------------------------------------------------
# Counters in the ``throttle`` cache. A rate limit must never take the service down: while
# the cache (Redis) cannot be reached, counters are neither read nor written (the limits
# are not applied) and a warning is logged at most every CACHE_DOWN_LOG_SECONDS per process.
# --------------------------------------------------------------------------------------

CACHE_DOWN_LOG_SECONDS = 10.0
_cache_down_logged = 0.0


def _cache_down(exc: RedisError) -> None:
    global _cache_down_logged
    now = time.monotonic()
    if now - _cache_down_logged >= CACHE_DOWN_LOG_SECONDS:
        _cache_down_logged = now
        logger.warning(
            "throttle cache unavailable, rate limits not applied: %s", type(exc).__name__
        )


def counter_bump(key: str, *, seconds: int) -> int | None:
    """Add one to the counter ``key`` (made with a lifetime of ``seconds``); its new value,
    or None while the throttle cache cannot be reached."""
    cache = caches["throttle"]
    try:
        if cache.add(key, 1, timeout=seconds):
            return 1
        try:
            return int(cache.incr(key))
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=seconds)
            return 1
    except RedisError as exc:
        _cache_down(exc)
        return None


def counter_value(key: str) -> int:
    """The counter ``key`` (0 when absent, or while the throttle cache cannot be reached)."""
    try:
        return int(caches["throttle"].get(key, 0))
    except RedisError as exc:
        _cache_down(exc)
        return 0


def _refuse(request: Request, message: str) -> exceptions.AuthenticationFailed:
    """Count the failed attempt of this address, and the exception to raise."""
    _, seconds = failure_limit()
    counter_bump(_failures_key(request), seconds=seconds)
    return exceptions.AuthenticationFailed(message)


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Api-Key"
    parser = KeyParser()

    def authenticate(self, request: Request) -> tuple[AnonymousUser, ApiClient] | None:
        key = self.parser.get(request)
        if key is None:
            return None
        limit, seconds = failure_limit()
        if counter_value(_failures_key(request)) >= limit:
            raise exceptions.Throttled(wait=seconds)
        client = _client_by_prefix(key.partition(".")[0])
        if client is None or not client.is_valid(key):
            raise _refuse(request, "The API key is invalid.")
        if client.revoked:
            raise _refuse(request, "The API key has been revoked.")
        if client.has_expired:
            raise _refuse(request, "The API key has expired.")
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
