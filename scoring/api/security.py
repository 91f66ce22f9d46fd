"""``Content-Security-Policy`` on every response, and the docs' sign-in switch.

Every asset is local (the admin's, WhiteNoise's, the Swagger UI of the sidecar loaded by the
split view's separate init script), so scripts come from this origin only. The admin sets a
few inline ``style`` attributes, hence ``'unsafe-inline'`` for styles only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponseBase

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", POLICY)
        return response


def docs_view(view: Callable[..., Any]) -> Callable[..., Any]:
    """``view``, behind the admin's sign-in unless ``KREDITAX_PUBLIC_API_DOCS`` (at call time)."""
    private = login_required(view, login_url="admin:login")

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        chosen = view if settings.KREDITAX_PUBLIC_API_DOCS else private
        return chosen(request, *args, **kwargs)

    return wrapped
