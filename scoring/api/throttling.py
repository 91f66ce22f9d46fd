"""Rate limits per API client (or signed-in user) on the scoring endpoints.

The rate is ``KREDITAX_SCORING_RATE`` ("600/min"; read at call time), counted in the
``throttle`` cache (Redis when ``REDIS_URL`` is set, so every worker shares the count; local
memory otherwise). Over it: 429 in the JSON error format with ``Retry-After``; every answer
of a throttled endpoint carries ``X-RateLimit-Limit`` and ``X-RateLimit-Remaining``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import caches
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from registry.api_keys import api_client_of


class ScoringRateThrottle(SimpleRateThrottle):
    scope = "scoring"

    def __init__(self) -> None:
        self.cache = caches["throttle"]
        super().__init__()

    def get_rate(self) -> str:
        return str(settings.KREDITAX_SCORING_RATE)

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        client = api_client_of(request)
        if client is not None:
            ident = f"client-{client.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request: Request, view: APIView) -> bool:
        allowed = super().allow_request(request, view)
        if self.key is not None:
            limit = int(getattr(self, "num_requests"))  # noqa: B009 (set by DRF, untyped)
            remaining = max(0, limit - len(self.history))
            request.META["kreditax.ratelimit"] = (limit, remaining)
        return allowed


class RateLimitHeaders:
    """Mixin for throttled views: the limit and what is left of it, on every answer."""

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        limit = request.META.get("kreditax.ratelimit")
        if limit is not None:
            response["X-RateLimit-Limit"] = str(limit[0])
            response["X-RateLimit-Remaining"] = str(limit[1])
        return response
