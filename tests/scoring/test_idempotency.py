"""Idempotency-Key: a repeat replays the first answer, a reused key with another body is 409."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from audit.models import DecisionRecord
from registry.models import ModelVersion
from scoring.models import IdempotencyRecord
from tests.scoring.support import VALID, application

PREDICT = "/api/v1/predict"


def post(api: APIClient, body: Any, key: str = "key-1", url: str = PREDICT) -> Any:
    return api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


@pytest.mark.parametrize("url", [PREDICT, "/api/v1/explain"])
def test_the_same_key_and_body_replay_the_first_response_and_record_once(
    url: str, api: APIClient, champion: ModelVersion
) -> None:
    first = post(api, VALID, url=url)
    second = post(api, VALID, url=url)
    assert first.status_code == second.status_code == 200
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert DecisionRecord.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1


def test_the_replay_is_byte_for_byte_the_first_body_in_a_batch(
    api: APIClient, champion: ModelVersion
) -> None:
    body = {"applications": [VALID, application(age=10)]}
    first = post(api, body, url="/api/v1/predict/batch")
    second = post(api, body, url="/api/v1/predict/batch")
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert DecisionRecord.objects.count() == 1


def test_the_stored_response_keeps_no_application_id(
    api: APIClient, champion: ModelVersion
) -> None:
    post(api, VALID)
    stored = IdempotencyRecord.objects.get()
    assert "application_id" not in stored.response
    assert VALID["application_id"] not in str(stored.response)


def test_the_same_body_with_keys_in_another_order_is_a_replay(
    api: APIClient, champion: ModelVersion
) -> None:
    post(api, VALID)
    reordered = dict(reversed(list(VALID.items())))
    assert post(api, reordered)["Idempotent-Replayed"] == "true"
    assert DecisionRecord.objects.count() == 1


def test_the_same_key_with_another_body_is_409_and_writes_nothing_new(
    api: APIClient, champion: ModelVersion
) -> None:
    first = post(api, VALID)
    conflict = post(api, application(loan_amount=40_000_000))
    assert conflict.status_code == 409
    assert conflict.json()["error"] == {
        "code": "idempotency_conflict",
        "message": "This Idempotency-Key was used with another request body.",
        "fields": {"Idempotency-Key": ["Already used with a different body or endpoint."]},
    }
    assert DecisionRecord.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1
    assert str(DecisionRecord.objects.get().request_id) == first.json()["request_id"]


def test_the_same_key_on_another_endpoint_is_409(api: APIClient, champion: ModelVersion) -> None:
    post(api, VALID)
    assert post(api, VALID, url="/api/v1/explain").status_code == 409
    assert DecisionRecord.objects.count() == 1


def test_keys_are_per_client(api: APIClient, bank_api: APIClient, champion: ModelVersion) -> None:
    fintech = post(api, VALID)
    bank = post(bank_api, application(loan_amount=40_000_000))
    assert fintech.status_code == bank.status_code == 200
    assert not bank.has_header("Idempotent-Replayed")
    assert bank.json()["request_id"] != fintech.json()["request_id"]
    assert DecisionRecord.objects.count() == 2
    assert IdempotencyRecord.objects.count() == 2


def test_without_a_key_every_call_is_a_new_decision(api: APIClient, champion: ModelVersion) -> None:
    api.post(PREDICT, VALID, format="json")
    api.post(PREDICT, VALID, format="json")
    assert DecisionRecord.objects.count() == 2
    assert IdempotencyRecord.objects.count() == 0


def test_a_refused_body_stores_no_key_and_the_key_stays_usable(
    api: APIClient, champion: ModelVersion
) -> None:
    assert post(api, application(age=10)).status_code == 400
    assert IdempotencyRecord.objects.count() == 0
    assert post(api, VALID).status_code == 200
    assert IdempotencyRecord.objects.count() == 1


@pytest.mark.parametrize("key", ["", "k" * 201, "two words", "kunci-\u00e9", "k\x7f"])
def test_a_key_the_schema_refuses_is_400_and_writes_nothing(
    key: str, api: APIClient, champion: ModelVersion
) -> None:
    response = post(api, VALID, key=key)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_idempotency_key"
    assert response.json()["error"]["fields"] == {
        "Idempotency-Key": ["Must be 1 to 200 visible ASCII characters (no spaces)."]
    }
    assert DecisionRecord.objects.count() == 0
    assert IdempotencyRecord.objects.count() == 0


@pytest.mark.parametrize("key", ["k" * 200, "!", "0c9f6a1e-3b7d-4f1e-9a51-5f0e2c7d8b44"])
def test_every_key_the_schema_allows_is_taken(
    key: str, api: APIClient, champion: ModelVersion
) -> None:
    assert post(api, VALID, key=key).status_code == 200
    assert IdempotencyRecord.objects.count() == 1


def test_the_key_is_stored_only_as_a_keyed_digest(api: APIClient, champion: ModelVersion) -> None:
    post(api, VALID, key="los-req-000123")
    stored = IdempotencyRecord.objects.get()
    assert len(stored.key_digest) == 64
    assert "los-req-000123" not in str(IdempotencyRecord.objects.values().get())
    assert DecisionRecord.objects.get().idempotency_key_digest == stored.key_digest


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("url", [PREDICT, "/api/v1/predict/batch"])
def test_two_concurrent_requests_with_one_key_record_one_decision(
    url: str,
    flushable_audit: None,
    champion: ModelVersion,
    fintech_key: tuple[Any, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Both compute at once; the second's insert of the key waits for the first's commit,
    fails on the unique key, rolls its own decision back and answers with the first's."""
    import threading
    import time

    from django.db import connection

    from scoring import services as scoring_services
    from tests.scoring.support import keyed

    original = scoring_services.decision_date

    def slow_date() -> Any:
        time.sleep(0.3)  # both requests are past the replay check before either commits
        return original()

    monkeypatch.setattr(scoring_services, "decision_date", slow_date)
    body = {"applications": [VALID]} if url.endswith("batch") else VALID
    start = threading.Barrier(2)
    responses: list[Any] = []

    def call() -> None:
        try:
            start.wait()
            responses.append(post(keyed(fintech_key[1]), body, key="race-1", url=url))
        finally:
            connection.close()

    threads = [threading.Thread(target=call) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert [r.status_code for r in responses] == [200, 200]
    assert responses[0].json() == responses[1].json()
    assert sorted(r.has_header("Idempotent-Replayed") for r in responses) == [False, True]
    assert DecisionRecord.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1
