"""A decision and X-Request-ID: the decision takes the id when KreditaX made it; a client's
own id is echoed and logged but never names a decision; the request's log lines carry it."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest
from rest_framework.test import APIClient

from audit.models import DecisionRecord
from registry.models import ModelVersion
from tests.scoring.support import VALID, application

PREDICT = "/api/v1/predict"


def generated(value: str) -> bool:
    """Whether ``value`` is a UUID4 in its canonical form (what KreditaX makes)."""
    parsed = uuid.UUID(value)
    return parsed.version == 4 and str(parsed) == value


@pytest.mark.parametrize("url", [PREDICT, "/api/v1/explain"])
def test_a_decision_takes_the_id_that_kreditax_made(
    url: str, api: APIClient, champion: ModelVersion
) -> None:
    response = api.post(url, VALID, format="json")
    request_id = response["X-Request-ID"]
    assert generated(request_id)
    assert response.json()["request_id"] == request_id
    assert str(DecisionRecord.objects.get().request_id) == request_id


@pytest.mark.parametrize("incoming", ["los-000123", "6f1c2b9e-4d0a-4c53-9a57-1e2f3a4b5c6d"])
def test_a_clients_own_id_is_echoed_but_never_names_a_decision(
    incoming: str, api: APIClient, champion: ModelVersion
) -> None:
    first = api.post(PREDICT, VALID, format="json", HTTP_X_REQUEST_ID=incoming)
    retry = api.post(PREDICT, VALID, format="json", HTTP_X_REQUEST_ID=incoming)
    assert first.status_code == retry.status_code == 200
    assert first["X-Request-ID"] == retry["X-Request-ID"] == incoming
    decision_ids = {first.json()["request_id"], retry.json()["request_id"]}
    assert {str(r.request_id) for r in DecisionRecord.objects.all()} == decision_ids
    assert len(decision_ids) == 2
    assert incoming not in decision_ids


def test_a_replay_carries_its_own_id_and_the_first_decisions_body(
    api: APIClient, champion: ModelVersion
) -> None:
    first = api.post(PREDICT, VALID, format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    replay = api.post(PREDICT, VALID, format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json()["request_id"] == first.json()["request_id"] == first["X-Request-ID"]
    assert generated(replay["X-Request-ID"])
    assert replay["X-Request-ID"] != first["X-Request-ID"]
    assert DecisionRecord.objects.count() == 1


def test_batch_items_keep_their_own_ids(api: APIClient, champion: ModelVersion) -> None:
    body = {"applications": [VALID, VALID, application(age=10)]}
    response = api.post("/api/v1/predict/batch", body, format="json")
    item_ids = [item["request_id"] for item in response.json()["results"][:2]]
    assert len(set(item_ids)) == 2
    assert generated(response["X-Request-ID"])
    assert response["X-Request-ID"] not in item_ids
    assert {str(r.request_id) for r in DecisionRecord.objects.all()} == set(item_ids)


@pytest.mark.parametrize("incoming", [None, "los-000124"])
def test_the_log_lines_of_a_predict_carry_the_requests_id(
    incoming: str | None,
    api: APIClient,
    champion: ModelVersion,
    caplog: pytest.LogCaptureFixture,
) -> None:
    headers: dict[str, Any] = {"HTTP_X_REQUEST_ID": incoming} if incoming else {}
    with caplog.at_level(logging.INFO):
        response = api.post(PREDICT, VALID, format="json", **headers)
    request_id = response["X-Request-ID"]
    decision = response.json()
    recorded = [r.getMessage() for r in caplog.records if r.name == "scoring.services"]
    assert recorded == [
        f"Decision {decision['request_id']} recorded: {decision['decision']} by "
        f"{champion.label} under {decision['rule_set_version']}"
    ]
    assert {r.request_id for r in caplog.records} == {request_id}  # type: ignore[attr-defined,unused-ignore]


def test_a_refused_requests_warning_carries_its_id(
    api: APIClient, champion: ModelVersion, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = api.post(PREDICT, application(age=10), format="json")
    assert response.status_code == 400
    warnings = [r for r in caplog.records if r.name == "django.request"]
    assert [r.request_id for r in warnings] == [response["X-Request-ID"]]  # type: ignore[attr-defined,unused-ignore]
