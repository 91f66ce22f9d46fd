"""The scoring services answer with domain results and raise domain errors; HTTP is the API's."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from rest_framework.test import APIClient

from audit.models import DecisionRecord
from registry.models import ApiClient, ModelVersion
from scoring import errors
from scoring import services as scoring_services
from scoring.api.errors import scoring_error_response
from scoring.models import IdempotencyRecord
from scoring.services import Endpoint, ScoringResult, actor_of, application_score
from tests.scoring.support import VALID, application, assert_nothing_written


def score(client: ApiClient, payload: Any = VALID, **kwargs: Any) -> ScoringResult:
    return application_score(
        payload=payload,
        actor=actor_of(client=client, user=None),
        endpoint=kwargs.pop("endpoint", Endpoint.PREDICT),
        idempotency_key=kwargs.pop("idempotency_key", None),
        **kwargs,
    )


def test_a_decision_is_a_result_with_its_body_and_no_status_code(
    champion: ModelVersion, fintech_key: tuple[ApiClient, str]
) -> None:
    result = score(fintech_key[0])
    assert type(result) is ScoringResult
    assert result.replayed is False
    assert result.body["request_id"] == str(DecisionRecord.objects.get().request_id)
    assert result.body["model_version"] == champion.label
    assert not hasattr(result, "status")


def test_the_same_key_and_body_return_the_first_body_marked_replayed(
    champion: ModelVersion, fintech_key: tuple[ApiClient, str]
) -> None:
    first = score(fintech_key[0], idempotency_key="k-1")
    again = score(fintech_key[0], idempotency_key="k-1")
    assert (first.replayed, again.replayed) == (False, True)
    assert again.body == first.body
    assert DecisionRecord.objects.count() == IdempotencyRecord.objects.count() == 1


def test_the_same_key_with_another_body_raises_a_conflict_and_writes_nothing_new(
    champion: ModelVersion, fintech_key: tuple[ApiClient, str]
) -> None:
    score(fintech_key[0], idempotency_key="k-2")
    with pytest.raises(errors.IdempotencyKeyReused) as reused:
        score(fintech_key[0], application(loan_amount=40_000_000), idempotency_key="k-2")
    assert reused.value.fields == {
        "Idempotency-Key": ["Already used with a different body or endpoint."]
    }
    assert DecisionRecord.objects.count() == IdempotencyRecord.objects.count() == 1


def test_without_a_champion_the_service_raises_no_champion(
    db: None, fintech_key: tuple[ApiClient, str]
) -> None:
    with pytest.raises(errors.NoChampion):
        score(fintech_key[0])
    assert_nothing_written()


def test_a_decision_takes_the_request_id_it_is_given(
    champion: ModelVersion, fintech_key: tuple[ApiClient, str]
) -> None:
    given = uuid.UUID("6f1c2b9e-4d0a-4c53-9a57-1e2f3a4b5c6d")
    result = score(fintech_key[0], endpoint=Endpoint.EXPLAIN, request_id=given)
    assert result.body["request_id"] == str(given)
    assert result.body["explanation"]["waterfall_url"] == f"/api/v1/explain/{given}/waterfall.svg"
    assert DecisionRecord.objects.get().request_id == given


@pytest.mark.parametrize(
    ("url", "body", "endpoint"),
    [
        ("/api/v1/predict", VALID, "predict"),
        ("/api/v1/explain", VALID, "explain"),
        ("/api/v1/predict/batch", {"applications": [VALID, application(age=10)]}, "batch"),
    ],
)
def test_single_and_batch_answers_are_stored_by_one_write(
    url: str,
    body: Any,
    endpoint: str,
    api: APIClient,
    champion: ModelVersion,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    writes: list[scoring_services.IdempotencyKey] = []
    original = scoring_services._idempotency_record_create

    def spy(*, key: scoring_services.IdempotencyKey, body: dict[str, Any]) -> None:
        writes.append(key)
        original(key=key, body=body)

    monkeypatch.setattr(scoring_services, "_idempotency_record_create", spy)
    response = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="one-write")
    assert response.status_code == 200
    stored = IdempotencyRecord.objects.get()
    assert [(k.owner, k.digest, k.body_sha256, k.endpoint) for k in writes] == [
        (stored.owner, stored.key_digest, stored.body_sha256, endpoint)
    ]
    assert stored.status_code == 200
    assert "application_id" not in str(stored.response)


ERROR_CLASSES = [
    errors.InvalidInput,
    errors.Forbidden,
    errors.NotFound,
    errors.Conflict,
    errors.IdempotencyKeyReused,
    errors.Unavailable,
    errors.NoChampion,
    errors.ChampionUnloadable,
    errors.RecordNotWritten,
]


@pytest.mark.parametrize("error", ERROR_CLASSES)
def test_the_domain_errors_carry_no_http_status(error: type[errors.ScoringError]) -> None:
    exc = error("Nope.", fields={"loan_amount": ["Too large."]})
    assert not hasattr(exc, "status")
    assert not hasattr(exc, "status_code")
    assert (exc.message, exc.fields) == ("Nope.", {"loan_amount": ["Too large."]})


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (errors.InvalidInput, 400, "invalid"),
        (errors.Forbidden, 403, "permission_denied"),
        (errors.NotFound, 404, "not_found"),
        (errors.Conflict, 409, "conflict"),
        (errors.IdempotencyKeyReused, 409, "idempotency_conflict"),
        (errors.Unavailable, 503, "unavailable"),
        (errors.NoChampion, 503, "no_champion"),
        (errors.ChampionUnloadable, 503, "model_unavailable"),
        (errors.RecordNotWritten, 503, "audit_unavailable"),
    ],
)
def test_the_api_maps_each_domain_error_to_its_status_and_code(
    error: type[errors.ScoringError], status: int, code: str
) -> None:
    response = scoring_error_response(error("Nope.", fields={"age": ["Must be 18 or more."]}))
    assert response.status_code == status
    assert response.data == {
        "error": {"code": code, "message": "Nope.", "fields": {"age": ["Must be 18 or more."]}}
    }
