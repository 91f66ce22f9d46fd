"""Who may call what: anonymous, bad keys, valid keys, users with and without permissions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import DecisionRecord
from registry.models import ApiClient, ModelVersion
from registry.services import api_client_create, api_client_revoke
from scoring import services
from scoring.models import IdempotencyRecord
from tests.scoring.support import VALID, assert_nothing_written, keyed, signed_in

POSTS: dict[str, tuple[str, dict[str, Any]]] = {
    "predict": ("/api/v1/predict", VALID),
    "explain": ("/api/v1/explain", VALID),
    "batch": ("/api/v1/predict/batch", {"applications": [VALID]}),
}
BAD_KEYS = ("revoked", "expired", "garbage", "forged")
SCORE = "registry.score_applications"


def post(client: APIClient, endpoint: str) -> Any:
    url, body = POSTS[endpoint]
    return client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="auth-1")


def bad_key(kind: str, fintech_key: tuple[ApiClient, str]) -> str:
    if kind == "garbage":
        return "not-a-key"
    if kind == "forged":  # a real prefix with a made-up secret
        return f"{fintech_key[0].prefix}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    expires = timezone.now() - timedelta(minutes=1) if kind == "expired" else None
    client, key = api_client_create(name=kind, rule_set_name="fintech", expires_at=expires)
    if kind == "revoked":
        api_client_revoke(prefix=client.prefix)
    return key


def recorded_for(client: ApiClient) -> str:
    """A decision recorded for ``client`` (through the service, not the API); its request id."""
    actor = services.actor_of(client=client, user=None)
    outcome = services.application_score(
        payload=VALID, actor=actor, endpoint=services.Endpoint.EXPLAIN, idempotency_key=None
    )
    return str(outcome.body["request_id"])


def recorded_for_user(user: User) -> str:
    actor = services.actor_of(client=None, user=user)
    outcome = services.application_score(
        payload=VALID, actor=actor, endpoint=services.Endpoint.EXPLAIN, idempotency_key=None
    )
    return str(outcome.body["request_id"])


def waterfall_url(request_id: str) -> str:
    return f"/api/v1/explain/{request_id}/waterfall.svg"


# ---- predict, explain, batch -----------------------------------------------------------


@pytest.mark.parametrize("endpoint", list(POSTS))
def test_anonymous_scoring_is_401_and_writes_nothing(endpoint: str, champion: ModelVersion) -> None:
    response = post(APIClient(), endpoint)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"
    assert response.json()["error"]["code"] == "not_authenticated"
    assert_nothing_written()


@pytest.mark.parametrize("kind", BAD_KEYS)
@pytest.mark.parametrize("endpoint", list(POSTS))
def test_a_revoked_expired_garbage_or_forged_key_is_401_and_writes_nothing(
    endpoint: str, kind: str, champion: ModelVersion, fintech_key: tuple[ApiClient, str]
) -> None:
    response = post(keyed(bad_key(kind, fintech_key)), endpoint)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"
    assert_nothing_written()


@pytest.mark.parametrize("endpoint", list(POSTS))
def test_a_valid_key_scores(endpoint: str, champion: ModelVersion, api: APIClient) -> None:
    response = post(api, endpoint)
    assert response.status_code == 200
    assert DecisionRecord.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1


@pytest.mark.parametrize("endpoint", list(POSTS))
def test_staff_without_the_scoring_permission_is_403_and_writes_nothing(
    endpoint: str, champion: ModelVersion, make_user: Callable[..., User]
) -> None:
    staff = make_user("staff", "audit.view_decisionrecord", "registry.view_modelversion")
    response = post(signed_in(staff), endpoint)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert_nothing_written()


@pytest.mark.parametrize("endpoint", list(POSTS))
def test_staff_with_the_scoring_permission_scores_as_themselves(
    endpoint: str, champion: ModelVersion, make_user: Callable[..., User]
) -> None:
    officer = make_user("officer", SCORE)
    response = post(signed_in(officer), endpoint)
    assert response.status_code == 200
    record = DecisionRecord.objects.get()
    assert (record.user_id, record.client_id, record.client_name) == (
        officer.pk,
        None,
        "user:officer",
    )


# ---- waterfall -------------------------------------------------------------------------


def test_anonymous_waterfall_is_401(champion: ModelVersion, fintech_key: Any) -> None:
    response = APIClient().get(waterfall_url(recorded_for(fintech_key[0])))
    assert response.status_code == 401


@pytest.mark.parametrize("kind", BAD_KEYS)
def test_a_bad_key_cannot_read_a_waterfall(
    kind: str, champion: ModelVersion, fintech_key: tuple[ApiClient, str]
) -> None:
    request_id = recorded_for(fintech_key[0])
    response = keyed(bad_key(kind, fintech_key)).get(waterfall_url(request_id))
    assert response.status_code == 401


def test_a_client_reads_the_waterfall_of_its_own_decision(
    champion: ModelVersion, fintech_key: tuple[ApiClient, str], api: APIClient
) -> None:
    response = api.get(waterfall_url(recorded_for(fintech_key[0])))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content.startswith(b"<svg ")


def test_the_waterfall_of_another_clients_decision_is_403(
    champion: ModelVersion, fintech_key: tuple[ApiClient, str], bank_api: APIClient
) -> None:
    response = bank_api.get(waterfall_url(recorded_for(fintech_key[0])))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_the_waterfall_of_an_unknown_decision_is_404(
    champion: ModelVersion, api: APIClient
) -> None:
    response = api.get(waterfall_url("00000000-0000-4000-8000-000000000000"))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_staff_without_a_permission_cannot_read_a_waterfall(
    champion: ModelVersion, fintech_key: tuple[ApiClient, str], make_user: Callable[..., User]
) -> None:
    staff = make_user("staff", "registry.view_modelversion")
    response = signed_in(staff).get(waterfall_url(recorded_for(fintech_key[0])))
    assert response.status_code == 403


def test_a_user_with_the_scoring_permission_reads_only_their_own_waterfalls(
    champion: ModelVersion, fintech_key: tuple[ApiClient, str], make_user: Callable[..., User]
) -> None:
    officer = make_user("officer", SCORE)
    client = signed_in(officer)
    assert client.get(waterfall_url(recorded_for_user(officer))).status_code == 200
    assert client.get(waterfall_url(recorded_for(fintech_key[0]))).status_code == 403


def test_a_compliance_user_reads_any_waterfall_without_the_scoring_permission(
    champion: ModelVersion, fintech_key: tuple[ApiClient, str], make_user: Callable[..., User]
) -> None:
    reviewer = make_user("reviewer", "audit.view_decisionrecord", is_staff=False)
    response = signed_in(reviewer).get(waterfall_url(recorded_for(fintech_key[0])))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"


# ---- model cards -------------------------------------------------------------------------


def test_anonymous_model_cards_are_401(champion: ModelVersion) -> None:
    assert APIClient().get("/api/v1/models").status_code == 401
    assert APIClient().get(f"/api/v1/models/{champion.label}").status_code == 401


@pytest.mark.parametrize("kind", BAD_KEYS)
def test_a_bad_key_cannot_read_model_cards(
    kind: str, champion: ModelVersion, fintech_key: tuple[ApiClient, str]
) -> None:
    assert keyed(bad_key(kind, fintech_key)).get("/api/v1/models").status_code == 401


def test_a_valid_key_reads_model_cards(champion: ModelVersion, api: APIClient) -> None:
    assert api.get("/api/v1/models").status_code == 200
    assert api.get(f"/api/v1/models/{champion.label}").status_code == 200


def test_staff_without_a_permission_cannot_read_model_cards(
    champion: ModelVersion, make_user: Callable[..., User]
) -> None:
    client = signed_in(make_user("staff"))
    assert client.get("/api/v1/models").status_code == 403
    assert client.get(f"/api/v1/models/{champion.label}").status_code == 403


@pytest.mark.parametrize("permission", [SCORE, "registry.view_modelversion"])
def test_users_who_score_or_manage_models_read_model_cards(
    permission: str, champion: ModelVersion, make_user: Callable[..., User]
) -> None:
    client = signed_in(make_user("user", permission, is_staff=False))
    assert client.get("/api/v1/models").status_code == 200
    assert client.get(f"/api/v1/models/{champion.label}").status_code == 200
