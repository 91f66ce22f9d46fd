"""Sign-in lockout (django-axes) wired to the product: lockouts in the access log, JSON on the API.

Failed sign-ins to the admin and to the token endpoint are counted per name tried and per
source address in the ``throttle`` cache (Redis when ``REDIS_URL`` is set). The failure that
reaches ``KREDITAX_LOGIN_FAILURE_LIMIT`` locks the name and the address out for
``KREDITAX_LOGIN_COOLOFF_MINUTES``, is recorded in the access log (``audit.AuditAccess``,
action ``LOCKOUT``) and revokes the refresh tokens of the person named. During the lockout
even the right password is refused, before it is checked.
"""

from __future__ import annotations

from typing import Any

from axes.handlers.cache import AxesCacheHandler
from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from django.http import HttpRequest, HttpResponse, JsonResponse

from audit.access import login_lockout_record
from registry.people_tokens import username_refresh_tokens_revoke
from scoring.api.errors import error_body

LOCKED_OUT = "Too many failed sign-ins: this account or address is locked out; retry later."


class LockoutRecordingHandler(AxesCacheHandler):  # type: ignore[misc]
    """Axes' cache handler that also records each lockout once, when it starts, and revokes
    the refresh tokens of the person whose name was tried."""

    def user_login_failed(
        self, sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
    ) -> None:
        super().user_login_failed(sender, credentials, request=request, **kwargs)
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
