"""Every response carries X-Request-ID (the client's when safe, else a new UUID4), and the
log lines of the request carry the same id. Decisions: tests/scoring/test_decision_request_ids.py.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

from registry.services import api_client_create
from scoring import selectors
from scoring.api.request_id import RequestIdFilter, current_request_id
from scoring.examples import EXAMPLE_APPLICATION
from tests.scoring.support import keyed

PREDICT = "/api/v1/predict"


def generated(value: str) -> bool:
    """Whether ``value`` is a UUID4 in its canonical form (what KreditaX makes)."""
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        return False
    return parsed.version == 4 and str(parsed) == value


@pytest.fixture
def api(db: None) -> APIClient:
    """A loan system's client (no champion is needed: every request here is refused first)."""
    return keyed(api_client_create(name="los-trace", rule_set_name="fintech")[1])


@pytest.mark.django_db
def test_a_request_without_an_id_gets_a_new_uuid4_each_time() -> None:
    first = Client().get("/api/v1/health")
    second = Client().get("/api/v1/health")
    assert first.status_code == second.status_code == 200
    assert generated(first["X-Request-ID"])
    assert generated(second["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "incoming",
    ["a", "los-req_000123.7", "k" * 64, "6f1c2b9e-4d0a-4c53-9a57-1e2f3a4b5c6d", "ABC.def-9_"],
)
def test_a_safe_incoming_id_is_kept(incoming: str) -> None:
    response = Client().get("/api/v1/health", HTTP_X_REQUEST_ID=incoming)
    assert response["X-Request-ID"] == incoming


@pytest.mark.django_db
@pytest.mark.parametrize(
    "incoming",
    [
        "",
        "k" * 65,
        "with space",
        "ends-with-newline\n",
        "split\r\nX-Injected: 1",
        "tab\there",
        "slash/or:colon",
        "ünïcödé",
        "<script>",
    ],
)
def test_an_unsafe_incoming_id_is_replaced_by_a_new_one(incoming: str) -> None:
    response = Client().get("/api/v1/health", HTTP_X_REQUEST_ID=incoming)
    assert response["X-Request-ID"] != incoming
    assert generated(response["X-Request-ID"])
    assert not response.has_header("X-Injected")


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"data": EXAMPLE_APPLICATION, "format": "json", "HTTP_IDEMPOTENCY_KEY": ""}, 400),
        ({"data": b"{not json", "content_type": "application/json"}, 400),
        (
            {
                "data": {"note": "x" * settings.KREDITAX_MAX_BODY_BYTES},
                "format": "json",
            },
            413,
        ),
        ({"data": "age=30", "content_type": "text/plain"}, 415),
    ],
)
def test_refused_api_requests_carry_the_id(
    kwargs: dict[str, Any], status: int, api: APIClient
) -> None:
    response = api.post(PREDICT, **kwargs, HTTP_X_REQUEST_ID="trace-1")
    assert response.status_code == status
    assert response.json()["error"]["code"]
    assert response["X-Request-ID"] == "trace-1"


@pytest.mark.django_db
def test_a_request_without_credentials_is_401_with_the_id() -> None:
    response = APIClient().post(
        PREDICT, EXAMPLE_APPLICATION, format="json", HTTP_X_REQUEST_ID="trace-2"
    )
    assert response.status_code == 401
    assert response["X-Request-ID"] == "trace-2"


@pytest.mark.parametrize(
    "url", ["/api/v1/nowhere", "/api/v1/explain/6f1c2b9e-4d0a-4c53-9a57-1e2f3a4b5c6d/waterfall.svg"]
)
def test_a_404_carries_the_id(url: str, api: APIClient) -> None:
    response = api.get(url, HTTP_X_REQUEST_ID="trace-3")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert response["X-Request-ID"] == "trace-3"


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "status"), [("/admin/login/", 200), ("/admin/", 302)])
def test_the_admin_carries_the_id(url: str, status: int) -> None:
    response = Client().get(url, HTTP_X_REQUEST_ID="trace-4")
    assert response.status_code == status
    assert response["X-Request-ID"] == "trace-4"


@pytest.mark.django_db
def test_a_server_error_carries_the_id_and_its_log_line_too(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> dict[str, str]:
        raise RuntimeError("boom")

    monkeypatch.setattr(selectors, "readiness", broken)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = Client(raise_request_exception=False).get("/api/v1/ready")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"
    assert generated(response["X-Request-ID"])
    errors = [r for r in caplog.records if r.name == "django.request"]
    assert [r.request_id for r in errors] == [response["X-Request-ID"]]  # type: ignore[attr-defined,unused-ignore]


def _configured_handler() -> logging.Handler:
    """The handler that settings.LOGGING puts on the root logger."""
    return next(
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, RequestIdFilter) for f in h.filters)
    )


def test_the_configured_log_format_names_the_request() -> None:
    handler = _configured_handler()
    record = logging.LogRecord("scoring", logging.INFO, __file__, 1, "outside", None, None)
    assert handler.filter(record)
    assert handler.format(record).endswith(" INFO scoring [-] outside")


@pytest.mark.django_db
def test_the_id_is_forgotten_when_the_request_ends() -> None:
    Client().get("/api/v1/health", HTTP_X_REQUEST_ID="trace-5")
    assert current_request_id() is None


def test_the_json_access_line_of_gunicorn_names_the_request_and_nothing_else() -> None:
    from datetime import UTC, datetime

    from kreditax.gunicorn_logging import access_line

    atoms = {"h": "10.0.0.9", "m": "POST", "U": '/api/v1/predict\\"x', "q": "nik=3171",
             "s": "200", "B": 812, "M": 23, "{x-request-id}o": "trace-7"}  # fmt: skip
    line = json.loads(access_line(atoms, now=datetime(2026, 12, 1, 9, 0, tzinfo=UTC)))
    assert line == {
        "time": "2026-12-01T09:00:00.000+00:00",
        "level": "INFO",
        "logger": "gunicorn.access",
        "request_id": "trace-7",
        "message": 'POST /api/v1/predict\\"x 200',
        "method": "POST",
        "path": '/api/v1/predict\\"x',
        "status": 200,
        "bytes": 812,
        "ms": 23,
    }


def test_a_task_queued_in_a_request_carries_its_id_into_the_worker_s_log_lines(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Celery's own signals: the publishing side adds the request's id to the task's
    message headers; the worker's side adopts it for the task's log lines (never as a
    decision's id) and forgets it when the task ends."""
    from celery.signals import before_task_publish, task_postrun, task_prerun

    from policy.tasks import run_simulation
    from scoring.api import request_id as ids

    headers: dict[str, Any] = {}
    ids._current.set(ids.request_id_from("LOS-trace-42"))  # as the middleware sets it
    try:
        before_task_publish.send(sender=run_simulation.name, headers=headers, body=())
    finally:
        ids._current.set(None)
    outside: dict[str, Any] = {}
    before_task_publish.send(sender=run_simulation.name, headers=outside, body=())
    assert (headers, outside) == ({"kreditax_request_id": "LOS-trace-42"}, {})

    logger = logging.getLogger("policy.services")
    logger.addFilter(RequestIdFilter())
    run_simulation.push_request(id="task-1", **headers)
    try:
        task_prerun.send(sender=run_simulation, task_id="task-1", task=run_simulation)
        with caplog.at_level(logging.INFO, logger="policy.services"):
            logger.info("simulation run 7 started")
        assert current_request_id() == ids.RequestId("LOS-trace-42", generated=False)
        assert ids.decision_request_id() is None  # a decision in a task makes its own id
        task_postrun.send(sender=run_simulation, task_id="task-1", task=run_simulation)
    finally:
        run_simulation.pop_request()
        logger.filters.clear()
    assert [r.request_id for r in caplog.records] == ["LOS-trace-42"]  # type: ignore[attr-defined]
    assert current_request_id() is None


@pytest.mark.parametrize("header", [None, "", "two words", "x" * 65, 42])
def test_a_task_without_a_safe_request_id_logs_none(header: Any) -> None:
    from celery.signals import task_postrun, task_prerun

    from policy.tasks import run_simulation

    run_simulation.push_request(id="task-2", kreditax_request_id=header)
    try:
        task_prerun.send(sender=run_simulation, task_id="task-2", task=run_simulation)
        assert current_request_id() is None
        task_postrun.send(sender=run_simulation, task_id="task-2", task=run_simulation)
    finally:
        run_simulation.pop_request()
