"""Rate limits per API client (or signed-in user) on the scoring endpoints.

The rate is ``KREDITAX_SCORING_RATE`` ("600/min"; read at call time), counted in the
``throttle`` cache (Redis when ``REDIS_URL`` is set, so every worker shares the count; local
memory otherwise; while Redis cannot be reached the limit is not applied, see
``registry.api_keys.counter_bump``). Over it: 429 in the JSON error format with
``Retry-After``; every answer of a throttled endpoint carries ``X-RateLimit-Limit`` and
``X-RateLimit-Remaining``.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle
from rest_framework.views import APIView

from registry.api_keys import api_client_of, counter_bump


def _rate() -> tuple[int, int]:
    """``KREDITAX_SCORING_RATE`` as (requests, seconds), parsed as DRF parses a rate."""
    count, seconds = SimpleRateThrottle.parse_rate(None, str(settings.KREDITAX_SCORING_RATE))  # type: ignore[arg-type]
    return int(count or 0), int(seconds or 60)


class ScoringRateThrottle(BaseThrottle):
    """A fixed-window counter per client: one number in the cache, whatever the rate.

    (DRF's ``SimpleRateThrottle`` keeps every request's time in a list that is read and
    written back on each request, so its cost grows with the rate: at 600 a minute a busy
    client's list holds 600 entries.) A window starts on a multiple of the period; a client
    may therefore send up to twice the rate across a window's boundary.
    """

    def __init__(self) -> None:
        self.retry_after: float | None = None

    def _ident(self, request: Request) -> str | None:
        client = api_client_of(request)
        if client is not None:
            return f"client-{client.pk}"
        if request.user and request.user.is_authenticated:
            return f"user-{request.user.pk}"
        return None

    def allow_request(self, request: Request, view: APIView) -> bool:
        ident = self._ident(request)
        if ident is None:
            return True
        limit, period = _rate()
        now = time.time()
        window = int(now // period)
        key = f"throttle_scoring_{ident}_{window}"
        count = counter_bump(key, seconds=period + 1)
        if count is None:  # the cache is down: no limit rather than no service
            return True
        request.META["kreditax.ratelimit"] = (limit, max(0, limit - count))
        if count > limit:
            self.retry_after = (window + 1) * period - now
            return False
        return True

    def wait(self) -> float | None:
        return self.retry_after


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
