"""Per-process reuse of the champion lookup and of API client rows, and its limits.

With ``KREDITAX_CHAMPION_REFRESH_SECONDS`` a worker looks the champion up at most that often,
so a promotion reaches it within that time; with ``KREDITAX_API_KEY_REFRESH_SECONDS`` it
reuses a client row that long, so a revocation applies within that time. The key's secret
and its expiry are checked on every request. (The test settings set both to 0.)
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import DecisionRecord
from registry import api_keys as auth
from registry import model_cache
from registry.models import ApiClient, ModelVersion
from registry.services import api_client_create, api_client_revoke, model_version_promote
from tests.scoring.conftest import LABELS, Register
from tests.scoring.support import VALID, keyed


class Clock:
    """A stand-in for ``time.monotonic`` that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(time, "monotonic", fake)
    return fake


@override_settings(KREDITAX_CHAMPION_REFRESH_SECONDS=30)
def test_a_promotion_reaches_the_worker_within_the_refresh_time(
    register: Register, clock: Clock, django_assert_num_queries: Any
) -> None:
    first, second = register(LABELS[0]), register(LABELS[1])
    model_version_promote(label=first.label, reason="first")
    assert model_cache.serving().champion.version.pk == first.pk
    model_version_promote(label=second.label, override_reason="same data, refresh test")

    clock.now += 29.9
    with django_assert_num_queries(0):  # the last lookup is still fresh
        assert model_cache.serving().champion.version.pk == first.pk
    clock.now += 0.2
    assert model_cache.serving().champion.version.pk == second.pk


@override_settings(KREDITAX_CHAMPION_REFRESH_SECONDS=0)
def test_refresh_zero_looks_the_champion_up_on_every_call(
    register: Register, clock: Clock, django_assert_num_queries: Any
) -> None:
    first, second = register(LABELS[0]), register(LABELS[1])
    model_version_promote(label=first.label, reason="first")
    assert model_cache.serving().champion.version.pk == first.pk
    model_version_promote(label=second.label, override_reason="same data, refresh test")
    with django_assert_num_queries(2):  # the lookup, and the new champion's row to load it
        assert model_cache.serving().champion.version.pk == second.pk
    with django_assert_num_queries(1):  # the lookup only
        assert model_cache.serving().champion.version.pk == second.pk


@pytest.fixture
def key_clock(monkeypatch: pytest.MonkeyPatch, clock: Clock) -> Clock:
    monkeypatch.setattr(time, "monotonic", clock)
    return clock


def _predict(client: APIClient) -> int:
    return int(client.post("/api/v1/predict", VALID, format="json").status_code)


@override_settings(KREDITAX_API_KEY_REFRESH_SECONDS=30)
def test_a_revocation_applies_within_the_refresh_time(
    champion: ModelVersion, key_clock: Clock
) -> None:
    client, key = api_client_create(name="los-cached", rule_set_name="fintech")
    api = keyed(key)
    assert _predict(api) == 200
    api_client_revoke(prefix=client.prefix)

    key_clock.now += 29.9
    assert _predict(api) == 200  # this worker read the row 29.9 s ago
    key_clock.now += 0.2
    response = api.post("/api/v1/predict", VALID, format="json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"
    assert DecisionRecord.objects.count() == 2


@override_settings(KREDITAX_API_KEY_REFRESH_SECONDS=30)
def test_a_remembered_client_still_needs_the_right_secret_and_an_unexpired_key(
    champion: ModelVersion, key_clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    expires = timezone.now() + timedelta(minutes=5)
    _, key = api_client_create(name="los-expiring", rule_set_name="fintech", expires_at=expires)
    assert _predict(keyed(key)) == 200

    wrong = key[:-1] + ("A" if key[-1] != "A" else "B")
    assert _predict(keyed(wrong)) == 401
    later = expires + timedelta(seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    response = keyed(key).post("/api/v1/predict", VALID, format="json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"
    assert DecisionRecord.objects.count() == 1


@override_settings(KREDITAX_API_KEY_REFRESH_SECONDS=30)
def test_unknown_prefixes_are_not_remembered(champion: ModelVersion, key_clock: Clock) -> None:
    assert _predict(keyed("nosuchpf.secret")) == 401
    assert auth._recent == {}
    assert ApiClient.objects.count() == 0
