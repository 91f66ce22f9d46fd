"""Sign-in lockout (django-axes) wired to the product: lockouts in the access log, JSON on the API.

Failed sign-ins to the admin and to the token endpoint are counted per name tried and per
source address in the ``throttle`` cache (Redis when ``REDIS_URL`` is set). The failure that
reaches ``KREDITAX_LOGIN_FAILURE_LIMIT`` locks the name and the address out for
``KREDITAX_LOGIN_COOLOFF_MINUTES``, is recorded in the access log (``audit.AuditAccess``,
action ``LOCKOUT``) and revokes the refresh tokens of the person named. During the lockout
even the right password is refused, before it is checked.

When the cache cannot be reached (Redis down), nobody can sign in: the lockout cannot be
enforced, so a sign-in is answered 503 (``SignInUnavailable``, one warning line, no
traceback) rather than let through uncounted; sessions and tokens already held keep working.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from axes.handlers.cache import AxesCacheHandler
from axes.helpers import get_cache, get_client_username, get_cool_off, get_failure_limit
from django.http import HttpRequest, HttpResponse, JsonResponse
from redis.exceptions import RedisError

from audit.access import login_lockout_record
from registry.people_tokens import username_refresh_tokens_revoke
from scoring.api.errors import error_body

logger = logging.getLogger(__name__)

LOCKED_OUT = "Too many failed sign-ins: this account or address is locked out; retry later."
UNAVAILABLE = "Signing in is unavailable for a moment; retry later."
#: What the cache raises when Redis cannot be reached (the local-memory cache never does).
CACHE_DOWN = (RedisError, OSError)


class SignInUnavailable(Exception):
    """The sign-in failures cannot be counted (the cache is unreachable)."""


def _counted(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except CACHE_DOWN as exc:
        logger.warning("Sign-in refused: the lockout cache is unavailable (%s)", type(exc).__name__)
        raise SignInUnavailable from None


class LockoutRecordingHandler(AxesCacheHandler):  # type: ignore[misc]
    """Axes' cache handler that also records each lockout once, when it starts, and revokes
    the refresh tokens of the person whose name was tried; an unreachable cache is
    ``SignInUnavailable``."""

    def __init__(self) -> None:
        pass  # no cache kept: ``cache`` looks it up on each use (per thread, as Django's are)

    @property
    def cache(self) -> Any:
        return get_cache()

    def get_failures(self, request: Any, credentials: dict[str, Any] | None = None) -> int:
        return int(
            _counted(
                lambda: super(LockoutRecordingHandler, self).get_failures(request, credentials)
            )
        )

    def user_logged_in(self, sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
        _counted(
            lambda: super(LockoutRecordingHandler, self).user_logged_in(
                sender, request, user, **kwargs
            )
        )

    def user_login_failed(
        self, sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
    ) -> None:
        _counted(
            lambda: super(LockoutRecordingHandler, self).user_login_failed(
                sender, credentials, request=request, **kwargs
            )
        )
        failures = getattr(request, "axes_failures_since_start", None)
        if failures is None or failures != get_failure_limit(request, credentials):
            return
        username = str(get_client_username(request, credentials) or "")
        login_lockout_record(username=username, path=str(request.axes_path_info), failures=failures)
        username_refresh_tokens_revoke(username=username)


def retry_after_seconds(request: HttpRequest) -> int:
    cool_off = get_cool_off(request)
    return int(cool_off.total_seconds()) if cool_off is not None else 0


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any
) -> HttpResponse:
    """429 with ``Retry-After``: the API's JSON error format under /api/, plain text else."""
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse(error_body("locked_out", LOCKED_OUT), status=429)
    else:
        response = HttpResponse(LOCKED_OUT, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(retry_after_seconds(request))
    return response


class SignInUnavailableMiddleware:
    """``SignInUnavailable`` from a sign-in page or the token endpoint as a 503 (JSON under
    /api/) with ``Retry-After``, instead of a 500 with a traceback."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, SignInUnavailable):
            return None
        response: HttpResponse
        if request.path.startswith("/api/"):
            response = JsonResponse(error_body("signin_unavailable", UNAVAILABLE), status=503)
        else:
            response = HttpResponse(
                UNAVAILABLE, status=503, content_type="text/plain; charset=utf-8"
            )
        response["Retry-After"] = "30"
        return response
