"""Rate limits: per API client on scoring, per address on failed API keys (429, JSON)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from django.core.cache import caches
from django.test import override_settings
from rest_framework.test import APIClient

from audit.models import DecisionRecord
from registry.models import ApiClient, ModelVersion
from registry.services import api_client_create
from tests.scoring.support import VALID, keyed

PREDICT = "/api/v1/predict"


@pytest.fixture(autouse=True)
def _empty_counts() -> Iterator[None]:
    caches["throttle"].clear()
    yield
    caches["throttle"].clear()


@override_settings(KREDITAX_SCORING_RATE="3/min")
def test_a_client_over_its_rate_gets_429_with_retry_after_and_others_do_not(
    api: APIClient, champion: ModelVersion
) -> None:
    answers = [api.post(PREDICT, VALID, format="json") for _ in range(4)]
    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert [r["X-RateLimit-Remaining"] for r in answers] == ["2", "1", "0", "0"]
    assert {r["X-RateLimit-Limit"] for r in answers} == {"3"}
    refused = answers[3]
    assert refused.json()["error"] == {
        "code": "throttled",
        "message": "Too many requests; retry later.",
        "fields": {},
    }
    assert 0 < int(refused["Retry-After"]) <= 60
    assert DecisionRecord.objects.count() == 3
    _, other_key = api_client_create(name="los-other", rule_set_name="fintech")
    assert keyed(other_key).post(PREDICT, VALID, format="json").status_code == 200


@override_settings(KREDITAX_SCORING_RATE="2/min")
def test_the_batch_and_explain_share_the_client_s_rate(
    api: APIClient, champion: ModelVersion
) -> None:
    batch = api.post("/api/v1/predict/batch", {"applications": [VALID]}, format="json")
    assert batch.status_code == 200
    assert api.post("/api/v1/explain", VALID, format="json").status_code == 200
    assert api.post("/api/v1/explain", VALID, format="json").status_code == 429


@override_settings(KREDITAX_API_KEY_FAILURES="3/min")
def test_an_address_with_too_many_failed_keys_gets_429_before_any_key_is_checked(
    fintech_key: tuple[ApiClient, str], champion: ModelVersion
) -> None:
    wrong = keyed("abcdefgh.wrong-secret")
    assert [wrong.get("/api/v1/models").status_code for _ in range(3)] == [401, 401, 401]
    refused = keyed(fintech_key[1]).get("/api/v1/models")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "throttled"
    assert refused["Retry-After"] == "60"
    elsewhere = keyed(fintech_key[1]).get("/api/v1/models", REMOTE_ADDR="10.0.0.2")
    assert elsewhere.status_code == 200


@override_settings(KREDITAX_SCORING_RATE="100000/min")
def test_the_count_is_one_number_per_client_whatever_the_rate(
    api: APIClient, fintech_key: tuple[ApiClient, str], champion: ModelVersion
) -> None:
    windows = {int(time.time() // 60)}
    for _ in range(3):
        assert api.post(PREDICT, VALID, format="json").status_code == 200
    windows.add(int(time.time() // 60))
    ident = f"throttle_scoring_client-{fintech_key[0].pk}"
    counts = [caches["throttle"].get(f"{ident}_{window}") for window in sorted(windows)]
    assert sum(count or 0 for count in counts) == 3
    assert all(count is None or isinstance(count, int) for count in counts)
