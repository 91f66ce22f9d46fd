"""No decision leaves without its audit record and a verified champion; promotions apply at once."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest
from django.db import DatabaseError, connection
from rest_framework.test import APIClient

from audit import services as audit_services
from audit.models import DecisionRecord
from registry import model_cache
from registry.models import ModelVersion
from registry.services import model_version_promote
from scoring import services as scoring_services
from tests.scoring.conftest import LABELS, Register
from tests.scoring.support import VALID, assert_nothing_written

SCORING_CALLS = [
    ("/api/v1/predict", VALID),
    ("/api/v1/explain", VALID),
    ("/api/v1/predict/batch", {"applications": [VALID]}),
]


def assert_unavailable(response: Any, code: str) -> None:
    assert_no_internals_but_503(response)
    assert response.status_code == 503
    body = response.json()
    assert set(body) == {"error"}  # no decision, no score, no request id
    assert body["error"]["code"] == code
    assert_nothing_written()


def assert_no_internals_but_503(response: Any) -> None:
    text = response.content.decode()
    for marker in ("Traceback", "Error(", "DatabaseError", "ArtifactIntegrityError", "sha256"):
        assert marker not in text


def _refuse(*args: Any, **kwargs: Any) -> Any:
    raise DatabaseError("disk I/O error on audit_decisionrecord")


@pytest.mark.parametrize(("url", "body"), SCORING_CALLS)
def test_a_failed_audit_write_is_503_without_a_decision(
    url: str, body: Any, api: APIClient, champion: ModelVersion, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scoring_services, "decision_records_create", _refuse)
    monkeypatch.setattr(audit_services, "decision_records_insert", _refuse)  # batches
    response = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="a-1")
    assert_unavailable(response, "audit_unavailable")


def _locked(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
    if sql.startswith('INSERT INTO "audit_decisionrecord"'):
        raise DatabaseError("relation audit_decisionrecord is locked")
    return execute(sql, params, many, context)


@pytest.mark.parametrize("url", ["/api/v1/predict", "/api/v1/predict/batch"])
@pytest.mark.parametrize("idempotency_key", [None, "a-2"])
def test_a_database_error_from_the_insert_itself_is_503_and_nothing_is_written(
    url: str, idempotency_key: str | None, api: APIClient, champion: ModelVersion
) -> None:
    body = {"applications": [VALID, VALID]} if url.endswith("batch") else VALID
    headers: dict[str, Any] = {"HTTP_IDEMPOTENCY_KEY": idempotency_key} if idempotency_key else {}
    with connection.execute_wrapper(_locked):
        response = api.post(url, body, format="json", **headers)
    assert_unavailable(response, "audit_unavailable")


def test_the_key_of_a_failed_audit_write_can_be_retried(
    api: APIClient, champion: ModelVersion, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(scoring_services, "decision_records_create", _refuse)
        patch.setattr(audit_services, "decision_records_insert", _refuse)
        api.post("/api/v1/predict", VALID, format="json", HTTP_IDEMPOTENCY_KEY="a-3")
    response = api.post("/api/v1/predict", VALID, format="json", HTTP_IDEMPOTENCY_KEY="a-3")
    assert response.status_code == 200
    assert not response.has_header("Idempotent-Replayed")
    assert DecisionRecord.objects.count() == 1


@pytest.mark.parametrize(("url", "body"), SCORING_CALLS)
def test_without_a_champion_scoring_is_503_no_champion(
    url: str, body: Any, api: APIClient, register: Register
) -> None:
    register(LABELS[0])  # READY but never promoted
    response = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="c-1")
    assert_unavailable(response, "no_champion")
    assert response.json()["error"]["message"] == "No champion model is available."


def test_ready_is_503_without_a_champion_and_200_with_one(register: Register) -> None:
    client = APIClient()
    response = client.get("/api/v1/ready")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "problems": {"champion": "no champion model is registered"},
    }
    model_version_promote(label=register(LABELS[0]).label)
    response = client.get("/api/v1/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


def test_health_is_200_without_a_database_question(
    db: None, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(0):
        response = APIClient().get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_a_promotion_is_used_by_the_very_next_request_without_clearing_a_cache(
    api: APIClient, champion: ModelVersion, register: Register
) -> None:
    assert api.post("/api/v1/predict", VALID, format="json").json()["model_version"] == LABELS[0]
    challenger = register(LABELS[1])
    model_version_promote(label=challenger.label, override_reason="same data, cache test")
    response = api.post("/api/v1/predict", VALID, format="json")
    assert response.json()["model_version"] == LABELS[1]
    latest = DecisionRecord.objects.order_by("-created_at", "-id").first()
    assert latest is not None
    assert (latest.model_version_id, latest.model_label) == (challenger.pk, LABELS[1])
    model_version_promote(label=LABELS[0], override_reason="roll back")
    assert api.post("/api/v1/predict", VALID, format="json").json()["model_version"] == LABELS[0]


def _flip_a_byte(path: Path) -> None:
    os.chmod(path.parent, stat.S_IRWXU)
    os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.fixture
def tampered_champion(champion: ModelVersion, tmp_path: Path, artifacts: Any) -> ModelVersion:
    """The champion pointed at a private copy of its artifact, with one byte flipped."""
    copy = tmp_path / champion.label
    shutil.copytree(artifacts[champion.label].path, copy)
    _flip_a_byte(copy / "model.ubj")
    champion.artifact_path = str(copy)
    champion.save(update_fields=["artifact_path"])
    model_cache.clear()
    return champion


@pytest.mark.parametrize(("url", "body"), SCORING_CALLS)
def test_a_tampered_artifact_is_503_model_unavailable_and_nothing_is_recorded(
    url: str, body: Any, api: APIClient, tampered_champion: ModelVersion
) -> None:
    response = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="t-1")
    assert_unavailable(response, "model_unavailable")


def test_ready_is_503_when_the_champion_artifact_is_tampered(
    tampered_champion: ModelVersion,
) -> None:
    response = APIClient().get("/api/v1/ready")
    assert response.status_code == 503
    assert response.json()["problems"] == {"champion": "the champion model could not be loaded"}


def test_a_missing_artifact_is_503_model_unavailable(
    api: APIClient, champion: ModelVersion, tmp_path: Path
) -> None:
    champion.artifact_path = str(tmp_path / "gone")
    champion.save(update_fields=["artifact_path"])
    model_cache.clear()
    assert_unavailable(api.post("/api/v1/predict", VALID, format="json"), "model_unavailable")
