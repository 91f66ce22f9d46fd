"""PostgreSQL down: every endpoint answers 503 in the JSON error format, then recovers.

The driver's error is injected with ``connection.execute_wrapper`` on the queries of one
table (the endpoint's own read or write), so each endpoint class is hit where it really
talks to the database; the next request after the fault clears must succeed as usual.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import InterfaceError, OperationalError, connection
from rest_framework.test import APIClient

from audit.models import DecisionRecord
from registry.models import ModelVersion
from tests.scoring.support import VALID, assert_nothing_written, signed_in

UNAVAILABLE = {
    "code": "database_unavailable",
    "message": "The database is unavailable; retry later.",
    "fields": {},
}


@contextlib.contextmanager
def database_down(table: str, error: type[Exception] = OperationalError) -> Iterator[None]:
    """Every query naming ``table`` fails as the driver fails when the server is gone."""

    def fail(execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        if table in sql:
            raise error("server closed the connection unexpectedly")
        return execute(sql, *args)

    with connection.execute_wrapper(fail):
        yield


def assert_unavailable(response: Any) -> None:
    text = response.content.decode()
    assert response.status_code == 503, text
    assert response.json() == {"error": UNAVAILABLE}
    assert "Traceback" not in text
    assert "server closed" not in text


@pytest.fixture
def superuser(db: None) -> User:
    return User.objects.create_superuser("root", password="x")


@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_the_api_key_look_up_failing_is_a_503_then_recovers(
    error: type[Exception], api: APIClient, champion: ModelVersion
) -> None:
    with database_down("scoring_apiclient", error):
        assert_unavailable(api.get("/api/v1/models"))
    assert api.get("/api/v1/models").status_code == 200


@pytest.mark.parametrize("url", ["/api/v1/predict", "/api/v1/explain"])
def test_scoring_with_the_database_down_is_a_503_then_recovers(
    url: str, api: APIClient, champion: ModelVersion
) -> None:
    with database_down("scoring_idempotencyrecord"):
        assert_unavailable(api.post(url, VALID, format="json", HTTP_IDEMPOTENCY_KEY="k-1"))
    assert_nothing_written()
    assert api.post(url, VALID, format="json", HTTP_IDEMPOTENCY_KEY="k-1").status_code == 200
    assert DecisionRecord.objects.count() == 1


def test_the_audit_insert_failing_stays_the_audit_unavailable_503(
    api: APIClient, champion: ModelVersion
) -> None:
    with database_down("audit_decisionrecord"):
        response = api.post("/api/v1/predict", VALID, format="json")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "audit_unavailable"
    assert_nothing_written()


def test_a_batch_with_the_database_down_is_a_503_then_recovers(
    api: APIClient, champion: ModelVersion
) -> None:
    body = {"applications": [VALID, VALID]}
    with database_down("scoring_idempotencyrecord"):
        response = api.post("/api/v1/predict/batch", body, format="json", HTTP_IDEMPOTENCY_KEY="b")
        assert_unavailable(response)
    assert_nothing_written()
    assert api.post("/api/v1/predict/batch", body, format="json").status_code == 200
    assert DecisionRecord.objects.count() == 2


def test_the_model_list_is_a_503_then_recovers(api: APIClient, champion: ModelVersion) -> None:
    with database_down("training_modelversion"):
        assert_unavailable(api.get("/api/v1/models"))
        assert_unavailable(api.get(f"/api/v1/models/{champion.label}"))
    assert api.get("/api/v1/models").status_code == 200


def test_the_audit_log_is_a_503_then_recovers(superuser: User) -> None:
    client = signed_in(superuser)
    with database_down("audit_decisionrecord"):
        assert_unavailable(client.get("/api/v1/audit-log"))
    assert client.get("/api/v1/audit-log").status_code == 200


def test_the_session_look_up_failing_is_a_503_then_recovers(superuser: User) -> None:
    client = signed_in(superuser)
    client.raise_request_exception = False  # the admin's error reaches handler500, as live
    with database_down("django_session"):
        assert_unavailable(client.get("/api/v1/audit-log"))
        assert_unavailable(client.get("/admin/"))
    assert client.get("/api/v1/audit-log").status_code == 200
    assert client.get("/admin/").status_code == 200


def test_ready_says_the_database_is_unreachable_then_recovers(champion: ModelVersion) -> None:
    client = APIClient()
    with database_down("SELECT 1"):
        response = client.get("/api/v1/ready")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "problems": {"database": "unreachable"}}
    assert client.get("/api/v1/ready").json() == {"status": "ready"}
    assert client.get("/api/v1/health").json() == {"status": "ok"}
