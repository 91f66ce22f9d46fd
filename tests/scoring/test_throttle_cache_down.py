"""With the throttle cache (Redis) unreachable, scoring goes on: the limits are skipped, with
a warning, and nothing answers 500."""

from __future__ import annotations

import logging
import socket
from typing import Any

import pytest
from rest_framework.test import APIClient

from audit.models import DecisionRecord
from registry import api_keys
from registry.models import ModelVersion
from tests.scoring.support import VALID, keyed

pytestmark = pytest.mark.django_db


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def redis_down(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.CACHES = {
        **settings.CACHES,
        "throttle": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        },
    }
    settings.KREDITAX_SCORING_RATE = "1/min"
    settings.KREDITAX_API_KEY_FAILURES = "1/min"
    monkeypatch.setattr(api_keys, "_cache_down_logged", 0.0)


def test_scoring_answers_without_limits_while_the_cache_is_down(
    redis_down: None, api: APIClient, champion: ModelVersion, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="registry.api_keys"):
        answers = [api.post("/api/v1/predict", VALID, format="json") for _ in range(3)]
    assert [r.status_code for r in answers] == [200, 200, 200]
    assert "X-RateLimit-Limit" not in answers[0]
    assert DecisionRecord.objects.count() == 3
    warnings = [r.getMessage() for r in caplog.records if r.name == "registry.api_keys"]
    assert warnings == ["throttle cache unavailable, rate limits not applied: ConnectionError"]


def test_a_wrong_key_is_still_401_while_the_cache_is_down(
    redis_down: None, champion: ModelVersion
) -> None:
    wrong = keyed("nope.nope")
    answers = [wrong.post("/api/v1/predict", VALID, format="json") for _ in range(3)]
    assert [r.status_code for r in answers] == [401, 401, 401]
    assert answers[0].json()["error"]["code"] == "authentication_failed"
    assert DecisionRecord.objects.count() == 0
