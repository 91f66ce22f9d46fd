"""Reliability under load: answers by status, audit records missing, PostgreSQL outage recovery.

Usage: ``.venv/bin/python benchmarks/bench_reliability.py [--duration 60] [--concurrency 16]
[--phases load,pg-outage,redis-outage,kill-worker] [--outage 3] [--json]``

Starts its own PostgreSQL (``initdb``/``pg_ctl`` from /usr/lib/postgresql/*/bin, in a
temporary directory, on a free loopback port; as the ``postgres`` account when run as root),
so stopping it disturbs nobody. Then, as ``bench_scoring.py`` does: migrate, train the
default model on synthetic applications (the champion), create an API key, start gunicorn
(the project's config, sync workers). ``--concurrency`` threads send, for ``--duration``
seconds, a mix of ``/predict`` (6 in 10), ``/explain`` (3 in 10) and ``/predict/batch`` of
20 applications (1 in 10), each with its own ``Idempotency-Key``, in each phase:

- ``load``: no fault; every answer must be a 200;
- ``pg-outage``: PostgreSQL is stopped (``pg_ctl stop -m fast``) a third of the way in, for
  ``--outage`` seconds, then started again; the service must recover within 10 s,
  without a restart;
- ``redis-outage``: Redis (its own ``redis-server``, where the rate limits count) is stopped
  the same way; every answer must still be a 200;
- ``kill-worker``: one gunicorn worker gets SIGKILL half way (the master starts another);
  at most the request it was handling is lost (no answer), and if that one's decision was
  recorded it is found by its ``Idempotency-Key`` (the record's keyed digest).

After each phase it checks, in the database:

- every 2xx answer's ``request_id`` (each item's, for a batch) has its audit record (the
  column is unique, so "exactly one" is "not missing"); records no 2xx answer names are
  counted too (a request whose answer was lost: the killed worker's in-flight one);
- every other answer is a 503 in the API's JSON error format;
- ``manage.py verify_audit`` passes.

It prints, per phase, requests, answers by status, records missing, the recovery time (from
PostgreSQL accepting connections again to the first 2xx scoring answer) and a last line
``RESULT {json}`` (that line alone with ``--json``). Exit status 1 when a check fails.
All load goes to 127.0.0.1; every wait is bounded.
"""

from __future__ import annotations

import argparse
import glob
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_scoring import (  # noqa: E402  (after the path is set)
    ROOT,
    _env,
    _wait_up,
    _workers,
    setup_champion,
    start_gunicorn,
)

BATCH_SIZE = 20
ERROR_KEYS = {"code", "message", "fields"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- a private PostgreSQL -------------------------------------------------------------------


class PrivatePostgres:
    """A throw-away PostgreSQL cluster in ``root`` on ``port`` (trust auth, user postgres)."""

    def __init__(self, root: Path, port: int) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not found:
            raise SystemExit("needs PostgreSQL's server binaries in /usr/lib/postgresql/*/bin")
        self.bin = Path(found[-1]).parent
        self.root, self.port = root, port
        self.data = root / "data"
        self.as_postgres = os.geteuid() == 0
        root.mkdir(parents=True, exist_ok=True)
        if self.as_postgres:
            shutil.chown(root, "postgres", "postgres")
            os.chmod(root, 0o700)

    def _run(self, *args: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_postgres else []
        subprocess.run([*prefix, *args], check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres")
        self.start()
        self._run(
            str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
            "kreditax",
        )  # fmt: skip

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.root}"
        )
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "log"), "-w",
            "-t", "60", "-o", options, "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:  # fast: open sessions are ended
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/kreditax"


class PrivateRedis:
    """A throw-away redis-server on ``port`` (no persistence), stopped and started at will."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        server = shutil.which("redis-server")
        if server is None:
            raise SystemExit("needs redis-server (Debian package redis-server)")
        self.process = subprocess.Popen(
            [server, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


# --- load -----------------------------------------------------------------------------------


@dataclass
class Answer:
    kind: str
    status: int  # 0: no answer (connection error or timeout)
    at: float  # seconds since the load started, when the answer arrived
    idempotency_key: str = ""
    request_ids: list[str] = field(default_factory=list)
    json_error: bool = False  # a body of the shape {"error": {code, message, fields}}


def _bodies() -> dict[str, Any]:
    from scoring.examples import EXAMPLE_APPLICATION

    single = dict(EXAMPLE_APPLICATION)
    return {
        "predict": single,
        "explain": single,
        "batch": {"applications": [dict(single) for _ in range(BATCH_SIZE)]},
    }


PATHS = {
    "predict": "/api/v1/predict",
    "explain": "/api/v1/explain",
    "batch": "/api/v1/predict/batch",
}
MIX = ["predict"] * 6 + ["explain"] * 3 + ["batch"]


def _request(port: int, key: str, kind: str, body: dict[str, Any], started: float) -> Answer:
    payload = json.dumps(body).encode()
    idempotency_key = str(uuid.uuid4())
    headers = {
        "Authorization": f"Api-Key {key}",
        "Content-Type": "application/json",
        "Idempotency-Key": idempotency_key,
    }
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("POST", PATHS[kind], body=payload, headers=headers)
        response = connection.getresponse()
        raw = response.read()
        status = response.status
    except (OSError, http.client.HTTPException):
        return Answer(kind, 0, time.monotonic() - started, idempotency_key)
    finally:
        connection.close()
    answer = Answer(kind, status, time.monotonic() - started, idempotency_key)
    try:
        data = json.loads(raw)
    except ValueError:
        return answer
    if 200 <= status < 300:
        items = data["results"] if kind == "batch" else [data]
        answer.request_ids = [item["request_id"] for item in items if "request_id" in item]
    else:
        error = data.get("error") if isinstance(data, dict) else None
        answer.json_error = isinstance(error, dict) and set(error) == ERROR_KEYS
    return answer


def run_load(
    port: int, key: str, *, duration: float, concurrency: int, started: float | None = None
) -> list[Answer]:
    bodies = _bodies()
    answers: list[Answer] = []
    lock = threading.Lock()
    started = time.monotonic() if started is None else started
    deadline = started + duration

    def worker(seed: int) -> None:
        pick = random.Random(seed)
        while time.monotonic() < deadline:
            kind = pick.choice(MIX)
            answer = _request(port, key, kind, bodies[kind], started)
            with lock:
                answers.append(answer)
            if answer.status in (0, 503):
                time.sleep(0.05)  # do not spin while the service is down

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=duration + 120)
    return answers


# --- checks ---------------------------------------------------------------------------------


def recorded_ids(env: dict[str, str]) -> list[str]:
    code = (
        "import json, django; django.setup()\n"
        "from audit.models import DecisionRecord\n"
        "ids = DecisionRecord.objects.values_list('request_id', flat=True)\n"
        "print(json.dumps([str(i) for i in ids]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    )
    return list(json.loads(done.stdout))


def verify_audit(env: dict[str, str]) -> bool:
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "verify_audit"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    return done.returncode == 0


def summarise(
    answers: list[Answer], recorded: list[str], *, back_at: float | None, audit_ok: bool
) -> dict[str, Any]:
    answered_ids = [rid for a in answers if 200 <= a.status < 300 for rid in a.request_ids]
    stored = Counter(recorded)
    missing = [rid for rid in answered_ids if stored[rid] == 0]
    named = set(answered_ids)
    unanswered = [rid for rid in stored if rid not in named]
    others = [a for a in answers if not 200 <= a.status < 300]
    bad = [a for a in others if not (a.status == 503 and a.json_error)]
    first_ok_after = min(
        (a.at for a in answers if back_at is not None and a.at >= back_at and a.status == 200),
        default=None,
    )
    return {
        "requests": len(answers),
        "by_status": dict(sorted(Counter(str(a.status) for a in answers).items())),
        "by_kind": dict(sorted(Counter(a.kind for a in answers).items())),
        "decisions_answered": len(answered_ids),
        "records": len(recorded),
        "records_missing": len(missing),
        "records_duplicated": sum(1 for count in stored.values() if count > 1),
        "records_without_2xx": len(unanswered),
        "non_503_json_errors": len(bad),
        "recovery_seconds": None
        if back_at is None or first_ok_after is None
        else round(first_ok_after - back_at, 3),
        "verify_audit": audit_ok,
    }


# --- main -----------------------------------------------------------------------------------

PHASES = ("load", "pg-outage", "redis-outage", "kill-worker")


def lost_keys_recorded(env: dict[str, str], keys: list[str]) -> dict[str, int]:
    """How many records carry each ``Idempotency-Key`` (by its keyed digest, as stored)."""
    code = (
        "import json, sys, django; django.setup()\n"
        "from audit.models import DecisionRecord\n"
        "from scoring.services import _key_digest\n"
        "keys = json.loads(sys.argv[1])\n"
        "print(json.dumps({k: DecisionRecord.objects.filter("
        "idempotency_key_digest=_key_digest(k)).count() for k in keys}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, json.dumps(keys)],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(done.stdout))


def run_phase(
    phase: str, args: argparse.Namespace, env: dict[str, str], pg: PrivatePostgres,
    redis: PrivateRedis, port: int, key: str, master: int,
) -> dict[str, Any]:  # fmt: skip
    """One phase of ``args.duration`` seconds (the load phase: ``--load-duration``) on the
    running service, checked."""
    duration = _duration(phase, args)
    before = set(recorded_ids(env))
    back: list[float] = []
    started = time.monotonic()
    helper = None
    if phase in ("pg-outage", "redis-outage"):
        third = args.duration / 3
        server: PrivatePostgres | PrivateRedis = pg if phase == "pg-outage" else redis
        helper = threading.Thread(
            target=lambda: back.append(
                _outage(server, after=third, seconds=args.outage, started=started)
            )
        )
    elif phase == "kill-worker":
        helper = threading.Thread(target=_kill_one, args=(master, started + args.duration / 2))
    if helper is not None:
        helper.start()
    answers = run_load(port, key, duration=duration, concurrency=args.concurrency, started=started)
    if helper is not None:
        helper.join(timeout=120)
    result = summarise(
        answers,
        [rid for rid in recorded_ids(env) if rid not in before],
        back_at=back[0] if back else None,
        audit_ok=verify_audit(env),
    )
    lost = [a.idempotency_key for a in answers if a.status == 0]
    result["lost_in_flight"] = len(lost)
    result["lost_recorded"] = sum(lost_keys_recorded(env, lost).values()) if lost else 0
    result["passed"] = passed(result, phase=phase)
    return result


def passed(result: dict[str, Any], *, phase: str) -> bool:
    killed = phase == "kill-worker"
    ok = (
        result["records_missing"] == 0
        and result["records_duplicated"] == 0
        and result["non_503_json_errors"] <= (1 if killed else 0)
        and result["lost_in_flight"] <= (1 if killed else 0)
        and result["records_without_2xx"] == result["lost_recorded"]
        and result["verify_audit"]
    )
    if phase == "pg-outage":
        return ok and result["recovery_seconds"] is not None and result["recovery_seconds"] < 10
    if phase in ("load", "redis-outage"):
        return ok and set(result["by_status"]) == {"200"}
    return ok


def _outage(
    server: PrivatePostgres | PrivateRedis, *, after: float, seconds: float, started: float
) -> float:
    """Stop ``server`` ``after`` seconds into the load for ``seconds``; returns when (in load
    seconds) it accepted connections again."""
    time.sleep(max(0.0, started + after - time.monotonic()))
    server.stop()
    time.sleep(seconds)
    server.start()
    return time.monotonic() - started


def _kill_one(master: int, at: float) -> None:
    time.sleep(max(0.0, at - time.monotonic()))
    workers = _workers(master)
    if workers:
        os.kill(workers[0], signal.SIGKILL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60, help="seconds per phase")
    parser.add_argument(
        "--load-duration",
        type=float,
        default=None,
        help="seconds of the fault-free load phase (default: --duration)",
    )
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rows", type=int, default=10000, help="training rows")
    parser.add_argument(
        "--phases", default="load", help=f"comma-separated, in order, of: {', '.join(PHASES)}"
    )
    parser.add_argument(
        "--outage", type=float, default=3, help="seconds PostgreSQL (or Redis) is down"
    )
    parser.add_argument("--json", action="store_true", help="print only the result as JSON")
    args = parser.parse_args()
    phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    if not phases or set(phases) - set(PHASES):
        parser.error(f"--phases takes {', '.join(PHASES)}")

    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        os.chmod(tmp, 0o755)  # noqa: S103 (the postgres account reaches its cluster directory)
        pg = PrivatePostgres(tmp / "pg", free_port())
        pg.init()
        redis = PrivateRedis(free_port())
        redis.start()
        server = None
        try:
            env = _env(tmp, database_url=pg.url)
            env["REDIS_URL"] = redis.url  # the rate limits' counters (Celery is not used)
            key = setup_champion(env, tmp, rows=args.rows)
            port = free_port()
            server = start_gunicorn(env, port, args.workers)
            _wait_up(f"http://127.0.0.1:{port}/api/v1/ready")
            run_load(port, key, duration=2, concurrency=args.workers * 2)  # warm every worker
            for phase in phases:
                results[phase] = run_phase(phase, args, env, pg, redis, port, key, server.pid)
                if not args.json:
                    _print(phase, results[phase], args)
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=30)
            pg.stop("fast")
            redis.stop()
    print(("" if args.json else "RESULT ") + json.dumps(results))
    return 0 if all(r["passed"] for r in results.values()) else 1


def _duration(phase: str, args: argparse.Namespace) -> float:
    if phase == "load" and args.load_duration is not None:
        return float(args.load_duration)
    return float(args.duration)


def _print(phase: str, result: dict[str, Any], args: argparse.Namespace) -> None:
    fault = {"load": "no fault", "pg-outage": f"PostgreSQL stopped for {args.outage:g} s",
             "redis-outage": f"Redis stopped for {args.outage:g} s",
             "kill-worker": "one gunicorn worker killed (SIGKILL)"}[phase]  # fmt: skip
    print(
        f"[{phase}] {_duration(phase, args):g} s at concurrency {args.concurrency}, "
        f"{args.workers} sync workers, {fault}: {'PASSED' if result['passed'] else 'FAILED'}"
    )
    print(f"  requests: {result['requests']} {result['by_kind']}")
    print(f"  answers by status: {result['by_status']} (0: no answer)")
    print(
        f"  decisions answered 2xx: {result['decisions_answered']}; records missing: "
        f"{result['records_missing']}; records no 2xx names: {result['records_without_2xx']} "
        f"(lost in flight: {result['lost_in_flight']}, of them recorded: "
        f"{result['lost_recorded']})"
    )
    print(f"  answers neither 2xx nor a JSON 503: {result['non_503_json_errors']}")
    if phase in ("pg-outage", "redis-outage"):
        print(f"  recovery (server back to first 2xx): {result['recovery_seconds']} s")
    print(f"  verify_audit: {'passes' if result['verify_audit'] else 'FAILS'}")


if __name__ == "__main__":
    raise SystemExit(main())
