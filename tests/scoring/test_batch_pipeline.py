"""The batch pipeline: chunks decided ahead, results in order, one transaction, no leftovers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from audit.models import DecisionRecord
from audit.services import content_hash, decision_records_writer
from credit_ml import decision as decision_module
from credit_ml.features import FeatureInputError
from registry.models import ModelVersion
from scoring import services as scoring_services
from scoring.models import IdempotencyRecord
from tests.scoring.support import VALID, application, assert_nothing_written

URL = "/api/v1/predict/batch"


def _items(count: int) -> list[dict[str, Any]]:
    """``count`` applications, every seventh invalid (age 12), with distinct references."""
    return [
        application(application_id=f"B-{i:04d}", age=12 if i % 7 == 3 else 35 + i % 3)
        for i in range(count)
    ]


def test_a_batch_over_several_chunks_keeps_input_order_and_records_each_valid_item(
    api: APIClient, champion: ModelVersion, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scoring_services, "BATCH_CHUNK", 16)
    items = _items(130)
    invalid = {i for i in range(130) if i % 7 == 3}

    response = api.post(URL, {"applications": items}, format="json", HTTP_IDEMPOTENCY_KEY="p-1")

    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["scored"], body["invalid"]) == (130, 130 - len(invalid), 19)
    results = body["results"]
    assert [r["index"] for r in results] == list(range(130))
    assert [r["application_id"] for r in results] == [f"B-{i:04d}" for i in range(130)]
    assert {r["index"] for r in results if r["status"] == "invalid"} == invalid
    for index in invalid:
        assert results[index]["error"]["fields"] == {"age": ["Must be at least 17."]}
    records = DecisionRecord.objects.all()
    assert records.count() == 130 - len(invalid)
    assert {str(r.request_id) for r in records} == {
        r["request_id"] for r in results if r["status"] == "scored"
    }
    assert all(content_hash(record) == record.content_hash for record in records)
    assert IdempotencyRecord.objects.count() == 1
    single = api.post("/api/v1/predict", items[128], format="json").json()
    for key in ("probability_of_default", "credit_score", "decision", "reasons", "policy"):
        assert results[128][key] == single[key]
    assert not _helper_threads()


def _helper_threads() -> list[threading.Thread]:
    prefixes = (decision_module.WORKER_NAME, "kreditax-audit-write")
    return [t for t in threading.enumerate() if t.name.startswith(prefixes)]


def test_an_item_the_model_cannot_take_is_invalid_alone(
    api: APIClient, champion: ModelVersion, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = scoring_services.decide_stream  # type: ignore[attr-defined,unused-ignore]

    def one_refused(*args: Any, **kwargs: Any) -> Iterator[list[Any]]:
        for chunk in original(*args, **kwargs):
            yield [FeatureInputError("monthly_income", "Must be a positive amount."), *chunk[1:]]

    monkeypatch.setattr(scoring_services, "decide_stream", one_refused)

    response = api.post(URL, {"applications": [VALID, VALID, VALID]}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert (body["scored"], body["invalid"]) == (2, 1)
    assert body["results"][0]["status"] == "invalid"
    assert body["results"][0]["error"]["fields"] == {
        "monthly_income": ["Must be a positive amount."]
    }
    assert DecisionRecord.objects.count() == 2


def test_a_failure_in_a_later_chunk_writes_nothing_at_all(
    api: APIClient, champion: ModelVersion, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scoring_services, "BATCH_CHUNK", 2)
    inserts = 0

    def second_insert_fails(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal inserts
        if sql.startswith('INSERT INTO "audit_decisionrecord"'):
            inserts += 1
            if inserts == 2:
                from django.db import DatabaseError

                raise DatabaseError("disk full")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(second_insert_fails):
        response = api.post(URL, {"applications": [VALID] * 5}, format="json")

    assert response.status_code == 503
    assert inserts == 2
    assert_nothing_written()
    assert not _helper_threads()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_record_writer_needs_the_callers_transaction() -> None:
    with (
        pytest.raises(RuntimeError, match=r"inside transaction\.atomic"),
        decision_records_writer(),
    ):
        pass  # pragma: no cover - refused on entry
    assert not _helper_threads()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_single_decision_is_one_autocommitted_insert(
    flushable_audit: None, api: APIClient, champion: ModelVersion
) -> None:
    assert api.post("/api/v1/predict", VALID, format="json").status_code == 200  # loads the model
    with CaptureQueriesContext(connection) as queries:
        response = api.post("/api/v1/predict", VALID, format="json")
    assert response.status_code == 200
    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    # The API key's client row, the champion alias, the record: no BEGIN, COMMIT or SAVEPOINT.
    assert statements == ["SELECT", "SELECT", "INSERT"]
    assert DecisionRecord.objects.count() == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_with_an_idempotency_key_the_record_and_the_stored_response_commit_together(
    flushable_audit: None, api: APIClient, champion: ModelVersion
) -> None:
    assert api.post("/api/v1/predict", VALID, format="json").status_code == 200  # loads the model
    with CaptureQueriesContext(connection) as queries:
        response = api.post("/api/v1/predict", VALID, format="json", HTTP_IDEMPOTENCY_KEY="t-1")
    assert response.status_code == 200
    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    assert statements[-3:] == ["INSERT", "INSERT", "COMMIT"]
    assert "BEGIN" in statements
    assert DecisionRecord.objects.count() == 2
    assert IdempotencyRecord.objects.count() == 1
