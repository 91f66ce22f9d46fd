"""Body size and framing: a 413 in the JSON error format at every size, 411 for chunked."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from registry.models import ModelVersion
from tests.scoring.support import assert_no_internals, assert_nothing_written

PREDICT = "/api/v1/predict"
BATCH = "/api/v1/predict/batch"


@pytest.mark.parametrize(
    ("url", "size"),
    [
        (PREDICT, 64 * 1024 + 1),
        (PREDICT, 5 * 1024 * 1024),
        (BATCH, 4 * 1024 * 1024 + 1),
        (BATCH, 4 * 1024 * 1024 + 2048),
        (BATCH, 9 * 1024 * 1024),
        ("/admin/login/", 5 * 1024 * 1024),
    ],
)
def test_a_body_over_the_limit_is_a_json_413_at_every_size(
    url: str, size: int, api: APIClient, champion: ModelVersion
) -> None:
    body = b'{"applications": ["' + b"x" * size + b'"]}'
    response = api.post(url, data=body, content_type="application/json")
    assert_no_internals(response)
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "payload_too_large"
    assert_nothing_written()


def test_a_chunked_body_without_a_length_is_refused_with_411(
    api: APIClient, champion: ModelVersion
) -> None:
    response = api.generic(
        "POST",
        PREDICT,
        data="",
        content_type="application/json",
        HTTP_TRANSFER_ENCODING="chunked",
    )
    assert_no_internals(response)
    assert response.status_code == 411
    assert response.json()["error"] == {
        "code": "length_required",
        "message": "Send the body with a Content-Length header (chunked bodies are not read).",
        "fields": {},
    }
    assert_nothing_written()


@pytest.fixture
def gunicorn_url(tmp_path: Path) -> Iterator[str]:
    """A real gunicorn on a free loopback port, with the test settings (no database needed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "kreditax.settings.test"}
    env.pop("DATABASE_URL", None)
    command = [sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{port}", "-w", "1"]
    server = subprocess.Popen(
        [*command, "-c", "/dev/null", "kreditax.wsgi:application"],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "gunicorn.log").open("wb"),
    )
    try:
        for _ in range(300):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port)):
                break
            time.sleep(0.1)
        yield f"127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.slow
def test_a_chunked_body_through_gunicorn_is_refused_with_411(gunicorn_url: str) -> None:
    host, port = gunicorn_url.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    chunks = iter([b'{"age": ', b"30}"])
    connection.request(
        "POST",
        PREDICT,
        body=chunks,
        headers={"Content-Type": "application/json", "Authorization": "Api-Key x.y"},
        encode_chunked=True,
    )
    response = connection.getresponse()
    assert response.status == 411
    assert response.getheader("Content-Type") == "application/json"
    assert json.loads(response.read())["error"]["code"] == "length_required"
