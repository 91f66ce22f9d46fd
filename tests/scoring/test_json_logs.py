"""JSON log lines: one object per line, each with the request id of the response it belongs
to, and never an identity value the loan system sent."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from io import StringIO

import pytest
from rest_framework.test import APIClient

from kreditax.logformat import JsonFormatter
from registry.models import ModelVersion
from scoring.api.request_id import RequestIdFilter
from tests.scoring.support import application

IDENTITIES = [
    {
        "full_name": "Bambang Sutrisno Wicaksono",
        "nik": "3171010101800001",
        "phone": "081311112222",
        "email": "bambang.wicaksono@contoh.id",
        "address": "Jl. Kenanga No. 12, Menteng",
        "application_id": "REF-UNIQUE-7781",
        "age": 46,
        "gender": "M",
    },
    {
        "full_name": "Dewi Anggraini Kusuma",
        "nik": "3171014101850002",
        "phone": "081399998888",
        "email": "dewi.kusuma@contoh.id",
        "address": "Jl. Mawar No. 3, Tebet",
        "application_id": "REF-UNIQUE-7782",
        "age": 41,
        "gender": "F",
    },
]


@pytest.fixture
def json_log() -> Iterator[StringIO]:
    """Every record of every logger at DEBUG, formatted as the json setting formats them."""
    stream = StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def test_each_line_is_json_with_the_request_id_and_no_identity_value(
    champion: ModelVersion, api: APIClient, json_log: StringIO
) -> None:
    ids = []
    for identity in IDENTITIES:
        response = api.post("/api/v1/predict", application(**identity), format="json")
        assert response.status_code == 200
        ids.append(response["X-Request-ID"])
    bad = api.post(
        "/api/v1/predict", application(**{**IDENTITIES[0], "nik": "31710101018000"}), format="json"
    )
    assert bad.status_code == 400
    ids.append(bad["X-Request-ID"])
    text = json_log.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines
    assert all(set(line) >= {"time", "level", "logger", "request_id", "message"} for line in lines)
    for request_id in ids:
        assert any(line["request_id"] == request_id for line in lines), request_id
    recorded = [line for line in lines if line["message"].startswith("Decision ")]
    assert [line["request_id"] for line in recorded] == ids[:2]
    for identity in IDENTITIES:
        for name in ("full_name", "nik", "phone", "email", "address", "application_id"):
            assert str(identity[name]) not in text, name
    assert "31710101018000" not in text
