"""/predict/batch: each item on its own, results in input order, only valid items recorded."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from audit.models import DecisionRecord
from registry.models import ModelVersion
from tests.scoring.support import (
    DSR_35,
    VALID,
    application,
    assert_no_internals,
    assert_nothing_written,
)

URL = "/api/v1/predict/batch"


def batch(api: APIClient, items: Any) -> Any:
    return api.post(URL, {"applications": items}, format="json")


def test_results_come_in_input_order_and_only_valid_items_are_recorded(
    api: APIClient, champion: ModelVersion
) -> None:
    items = [
        application(application_id="A-0"),
        application(application_id="A-1", age=12),
        {**DSR_35, "application_id": "A-2"},
        application(application_id="A-3", nik="9971054501900001", loan_amount=-1),
        "not an object",
        application(application_id="A-5", loan_term_months=36),
    ]
    response = batch(api, items)
    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["scored"], body["invalid"]) == (6, 3, 3)
    assert body["model_version"] == "m-scoring-a"
    results = body["results"]
    assert [r["index"] for r in results] == [0, 1, 2, 3, 4, 5]
    assert [r["status"] for r in results] == [
        "scored",
        "invalid",
        "scored",
        "invalid",
        "invalid",
        "scored",
    ]
    assert [r["application_id"] for r in results] == ["A-0", "A-1", "A-2", "A-3", None, "A-5"]
    assert results[1]["error"]["fields"] == {"age": ["Must be at least 17."]}
    assert set(results[3]["error"]["fields"]) == {"nik", "loan_amount"}
    assert results[4]["error"]["fields"] == {"non_field_errors": ["Expected a JSON object."]}
    records = DecisionRecord.objects.order_by("created_at", "id")
    assert records.count() == 3
    assert set(records.values_list("endpoint", flat=True)) == {"batch"}
    scored_ids = {r["request_id"] for r in results if r["status"] == "scored"}
    assert {str(r.request_id) for r in records} == scored_ids


def test_a_batch_item_is_decided_as_predict_decides_it(
    api: APIClient, champion: ModelVersion
) -> None:
    single = api.post("/api/v1/predict", VALID, format="json").json()
    item = batch(api, [VALID]).json()["results"][0]
    for key in ("probability_of_default", "credit_score", "risk_grade", "decision", "reasons"):
        assert item[key] == single[key]


def test_a_batch_whose_every_item_is_invalid_records_nothing(
    api: APIClient, champion: ModelVersion
) -> None:
    response = batch(api, [application(age=12), application(gender="X")])
    assert response.status_code == 200
    assert response.json()["scored"] == 0
    assert_nothing_written()


@pytest.mark.parametrize(
    "body",
    [
        {"applications": []},
        {"applications": {"0": VALID}},
        {"applications": VALID},
        {},
        {"applications": [VALID], "extra": 1},
        [VALID],
    ],
    ids=["empty", "object", "single", "no-key", "extra-key", "bare-list"],
)
def test_a_malformed_batch_is_400_and_writes_nothing(
    body: Any, api: APIClient, champion: ModelVersion
) -> None:
    response = api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="b-1")
    assert_no_internals(response)
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"applications"}
    assert_nothing_written()


def test_more_items_than_the_limit_is_400_and_writes_nothing(
    api: APIClient, champion: ModelVersion
) -> None:
    with override_settings(KREDITAX_MAX_BATCH_ITEMS=3):
        response = batch(api, [VALID] * 4)
        assert batch(api, [VALID] * 3).status_code == 200
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "applications": ["Must be a list of 1 to 3 applications."]
    }
    assert DecisionRecord.objects.count() == 3  # only the batch of three


def test_a_batch_body_over_its_size_limit_is_413(api: APIClient, champion: ModelVersion) -> None:
    with override_settings(KREDITAX_MAX_BATCH_BODY_BYTES=4096):
        response = batch(api, [VALID] * 10)
    assert response.status_code == 413
    assert_nothing_written()


def test_a_nan_in_one_item_names_the_field_of_that_item_only(
    api: APIClient, champion: ModelVersion
) -> None:
    text = '{"applications": [{"monthly_income": NaN}, ' + json.dumps(VALID) + "]}"
    response = api.post(URL, data=text, content_type="application/json")
    assert response.status_code == 200
    first, second = response.json()["results"]
    assert first["error"]["fields"]["monthly_income"] == [
        "Must be a finite number (NaN and Infinity are not allowed)."
    ]
    assert second["status"] == "scored"
    assert DecisionRecord.objects.count() == 1
