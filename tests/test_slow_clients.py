"""Slow clients (a byte per second) cannot stall the service behind the shipped nginx config.

Starts gunicorn (the project's config, two sync workers, SQLite) and Debian's nginx natively
with ``deploy/nginx/kreditax.conf`` (only its upstream address and listening port changed),
both on free loopback ports. Every wait is bounded; both processes are stopped at the end.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(NGINX is None, reason="needs nginx: apt-get install -y nginx"),
]

#: The answer time /api/v1/health must keep while slow clients hold connections.
BUDGET_SECONDS = 0.100
SLOW_CLIENTS = 4


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{process.args!r} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port} after {seconds} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture(scope="module")
def gunicorn_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    var = tmp_path_factory.mktemp("slow-var")
    (var / "models").mkdir()
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}},
        "DJANGO_SETTINGS_MODULE": "kreditax.settings.base",
        "KREDITAX_VAR_DIR": str(var),
        "KREDITAX_LOG_LEVEL": "WARNING",
        "GUNICORN_WORKERS": "2",
        "GUNICORN_WORKER_CLASS": "sync",
        "GUNICORN_ACCESSLOG": "/dev/null",
    }
    command = [sys.executable, "-m", "gunicorn", "kreditax.wsgi:application"]
    config = ["--config", str(ROOT / "kreditax" / "gunicorn.conf.py")]
    server = subprocess.Popen(
        [*command, *config, "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, server)
        yield port
    finally:
        _stop(server)


def nginx_config(*, upstream_port: int, listen_port: int, temp: Path) -> str:
    """A main nginx.conf around the shipped server config, pointed at local ports."""
    shipped = (ROOT / "deploy" / "nginx" / "kreditax.conf").read_text(encoding="utf-8")
    assert shipped.count("server web:8000;") == 1
    assert shipped.count("listen 8080;") == 1
    server = shipped.replace("server web:8000;", f"server 127.0.0.1:{upstream_port};").replace(
        "listen 8080;", f"listen 127.0.0.1:{listen_port};"
    )
    (temp / "kreditax.conf").write_text(server, encoding="utf-8")
    user = "user root root;" if os.geteuid() == 0 else ""
    paths = " ".join(
        f"{kind}_temp_path {temp / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi")
    )
    return (
        f"{user} daemon off; worker_processes 1; pid {temp / 'nginx.pid'};\n"
        f"error_log {temp / 'error.log'} warn;\n"
        "events { worker_connections 256; }\n"
        f"http {{ access_log off; {paths} scgi_temp_path {temp / 'scgi'};\n"
        f"  include {temp / 'kreditax.conf'}; }}\n"
    )


@pytest.fixture(scope="module")
def nginx_port(gunicorn_port: int, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    assert NGINX is not None
    temp = tmp_path_factory.mktemp("nginx")
    port = _free_port()
    conf = temp / "nginx.conf"
    conf.write_text(nginx_config(upstream_port=gunicorn_port, listen_port=port, temp=temp))
    checked = subprocess.run(
        [NGINX, "-t", "-q", "-p", str(temp), "-c", str(conf)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr
    server = subprocess.Popen(
        [NGINX, "-p", str(temp), "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, server)
        yield port
    finally:
        _stop(server)


class SlowClients:
    """Connections that send a request a byte per second: the headers, or (half of them,
    with ``bodies``) a declared body of 200 bytes after complete headers."""

    def __init__(self, port: int, count: int, *, bodies: bool = True) -> None:
        self.port, self.count, self.bodies = port, count, bodies
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(i,)) for i in range(count)]

    def _run(self, index: int) -> None:
        head = (
            b"POST /api/v1/predict HTTP/1.1\r\nHost: localhost\r\n"
            b"Content-Type: application/json\r\nContent-Length: 200\r\n\r\n"
        )
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
            if self.bodies and index % 2:
                sock.sendall(head)  # whole headers, then the body trickles
                head = b"{" + b" " * 199
            for byte in head:
                if self.stop.wait(1.0):
                    return
                try:
                    sock.sendall(bytes([byte]))
                except OSError:
                    return

    def __enter__(self) -> SlowClients:
        for thread in self.threads:
            thread.start()
        time.sleep(1.5)  # every connection open and sending
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=5)


def _health(port: int, timeout: float) -> tuple[int, float, dict[str, str]]:
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", "/api/v1/health")
        response = connection.getresponse()
        body = json.loads(response.read())
    finally:
        connection.close()
    return response.status, time.monotonic() - started, body


def _warm(port: int, seconds: float = 60) -> None:
    """Until both workers have loaded the application (each does on its first request)."""
    deadline, quick = time.monotonic() + seconds, 0
    while quick < 6:
        if time.monotonic() > deadline:
            raise AssertionError(f"/api/v1/health not answering quickly after {seconds} s")
        try:
            quick = quick + 1 if _health(port, timeout=10)[1] < 0.5 else 0
        except OSError:
            quick = 0


def test_health_answers_within_100_ms_through_nginx_while_slow_clients_hold_connections(
    nginx_port: int,
) -> None:
    """20 answers, 0.2 s apart, while four slow clients hold connections. The 2-core machine
    is shared, so a lone answer may be late for reasons of its own: at least 18 of 20 (and
    the median) must come within 100 ms and every one within a second. A stall is not a late
    answer but none: the test below shows gunicorn alone not answering for a second."""
    _warm(nginx_port)
    with SlowClients(nginx_port, SLOW_CLIENTS):
        answers = []
        for _ in range(20):
            answers.append(_health(nginx_port, timeout=5))
            time.sleep(0.2)
    assert [(status, body) for status, _, body in answers] == [(200, {"status": "ok"})] * 20
    times = sorted(elapsed for _, elapsed, _ in answers)
    shown = ", ".join(f"{t * 1000:.0f}" for t in times)
    assert times[17] < BUDGET_SECONDS, f"/health answer times (ms): {shown}"
    assert times[-1] < 1.0, f"/health answer times (ms): {shown}"


def test_without_nginx_two_slow_clients_stall_gunicorn(gunicorn_port: int) -> None:
    """The reason for the proxy: the same slow clients straight at the two sync workers."""
    _warm(gunicorn_port)
    with SlowClients(gunicorn_port, 2, bodies=False), pytest.raises(TimeoutError):
        _health(gunicorn_port, timeout=1.0)


def _raw(port: int, request: bytes) -> tuple[int, dict[str, object]]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        response = http.client.HTTPResponse(sock)
        response.begin()
        assert response.getheader("Content-Type") == "application/json"
        return response.status, json.loads(response.read())


def test_nginx_refuses_an_oversized_body_and_header_in_the_json_error_format(
    nginx_port: int,
) -> None:
    from django.conf import settings

    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    big_body = (
        f"POST /api/v1/predict/batch HTTP/1.1\r\nHost: localhost\r\n"
        f"Content-Type: application/json\r\nContent-Length: {limit + 1}\r\n\r\n"
    ).encode()
    assert _raw(nginx_port, big_body) == (
        413,
        {
            "error": {
                "code": "payload_too_large",
                "message": f"The body is larger than the limit of {limit} bytes.",
                "fields": {},
            }
        },
    )
    long_header = f"GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\nX-Pad: {'a' * 9000}\r\n\r\n"
    status, body = _raw(nginx_port, long_header.encode())
    assert (status, body["error"]) == (
        431,
        {
            "code": "headers_too_large",
            "message": "The request line or a header is longer than 8190 bytes.",
            "fields": {},
        },
    )
