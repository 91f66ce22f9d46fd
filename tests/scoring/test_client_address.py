"""Behind a trusted reverse proxy the client's address comes from X-Real-IP, so the failed
API-key limit counts each client, not the proxy."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from scoring.api.client_address import client_address
from tests.scoring.support import VALID
from tests.test_settings_env import _base_settings

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"


@pytest.fixture(autouse=True)
def _trusted(settings: Any) -> None:
    settings.KREDITAX_TRUSTED_PROXIES = ["10.0.0.0/24", "::1"]
    settings.KREDITAX_API_KEY_FAILURES = "2/min"
    caches["throttle"].clear()


@pytest.mark.parametrize(
    ("remote_addr", "real_ip", "expected"),
    [
        (PROXY, "203.0.113.7", "203.0.113.7"),
        ("::1", " 2001:db8::5 ", "2001:db8::5"),
        (PROXY, None, PROXY),
        (PROXY, "203.0.113.7, 10.0.0.9", PROXY),  # not one address
        (PROXY, "not-an-ip", PROXY),
        ("198.51.100.1", "203.0.113.7", "198.51.100.1"),  # not a proxy: the header is ignored
        ("", "203.0.113.7", ""),
    ],
)
def test_the_client_address(remote_addr: str, real_ip: str | None, expected: str) -> None:
    assert client_address(remote_addr=remote_addr, real_ip=real_ip) == expected


def _wrong_key(real_ip: str) -> int:
    client = Client(REMOTE_ADDR=PROXY, HTTP_X_REAL_IP=real_ip)
    answer = client.post(
        "/api/v1/predict", VALID, content_type="application/json", HTTP_AUTHORIZATION="Api-Key x.y"
    )
    return answer.status_code


def test_failed_keys_are_counted_per_client_behind_the_proxy() -> None:
    assert [_wrong_key("203.0.113.7") for _ in range(3)] == [401, 401, 429]
    assert _wrong_key("203.0.113.8") == 401  # another client behind the same proxy
    assert caches["throttle"].get("kreditax:api-key-failures:203.0.113.7") == 2
    assert caches["throttle"].get(f"kreditax:api-key-failures:{PROXY}") is None


def test_a_malformed_trusted_proxy_stops_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ImproperlyConfigured) as refused:
        _base_settings(monkeypatch, KREDITAX_TRUSTED_PROXIES="10.0.0.0/24,nginx")
    assert str(refused.value) == (
        "KREDITAX_TRUSTED_PROXIES must list addresses or networks, got 'nginx'."
    )
