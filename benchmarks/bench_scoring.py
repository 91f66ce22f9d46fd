"""Scoring speed against its parts and against the stock TreeSHAP, all in one run.

Usage: ``.venv/bin/python benchmarks/bench_scoring.py [--duration 5] [--rounds 3] [--workers 2]``
``[--db kreditax_bench] [--port 8011]``

Needs PostgreSQL on 127.0.0.1:5432 (trust auth, user postgres) and ``wrk`` (Debian package
``wrk``). It creates a scratch database ``kreditax_bench`` (dropped at the end), migrates,
generates 30,000 synthetic applications, trains the default model (250 trees, depth 4),
creates an API key and starts gunicorn (sync workers, one scoring thread each) on
127.0.0.1:8011. Then, in one run:

1. in a separate process (no server running): the in-process decision
   (``credit_ml.decision.decide``: encode, predict, TreeSHAP, policy, reasons), the durable
   INSERT of one audit record (the record ``/predict`` writes for the example application,
   under a new request id each time, one autocommitted statement, synchronous commit),
   and the whole service call; each as the median wall time and the mean CPU time (the
   process's, and for the INSERT also its PostgreSQL backend's, from ``/proc``);
2. the stock TreeSHAP: ``Booster.predict(DMatrix, pred_contribs=True)`` of the champion on
   the 1,000 rows of the batch below, 1 thread (as a web worker's booster has) and 2;
3. ``--rounds`` rounds (the figures are their medians), each of: an empty authenticated POST
   (``{}`` to ``/predict``: API-key authentication, throttle, parser, validation error,
   renderer; nothing is decided or written) and ``/predict`` with the example application,
   at concurrency 1 (p50) and 16 (server CPU per request: the gunicorn workers' and their
   PostgreSQL backends' CPU time from ``/proc`` over the wrk run, divided by wrk's request
   count), ``--duration`` seconds each; then ``/predict/batch`` with the 1,000 applications
   (explained rows/s until the last byte of the response), three times.

Targets (benchmarks/README.md): batch rows/s at least the stock 1-thread ``pred_contribs``
rows/s; ``/predict`` c1 p50 at most 1.25 x (empty POST p50 + INSERT + decision); c16 CPU
per decision at most 1.2 x (empty POST CPU + INSERT CPU incl. backend + decision CPU).
All load goes to 127.0.0.1 only; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = sys.executable
# The scratch database and port; ``--db`` and ``--port`` change them (several people
# benchmarking on one machine).
DB = "kreditax_bench"
PORT = 8011


def _env(tmp: Path, database_url: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "CELERY_BROKER_URL"}}
    env.update(
        DATABASE_URL=database_url or f"postgres://postgres@127.0.0.1:5432/{DB}",
        DJANGO_SETTINGS_MODULE="kreditax.settings.base",
        KREDITAX_VAR_DIR=str(tmp),
        PYTHONPATH=str(ROOT),
        KREDITAX_LOG_LEVEL="WARNING",
        # The benchmark measures throughput, not the per-client rate limit.
        KREDITAX_SCORING_RATE="100000000/min",
    )
    return env


def _psql(sql: str) -> None:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c", sql],
        check=True,
        capture_output=True,
    )


def _manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [PY, str(ROOT / "manage.py"), *args], env=env, check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


def _setup(env: dict[str, str], tmp: Path) -> str:
    _psql(f"DROP DATABASE IF EXISTS {DB}")
    _psql(f"CREATE DATABASE {DB}")
    return setup_champion(env, tmp)


def setup_champion(env: dict[str, str], tmp: Path, rows: int = 30000) -> str:
    """Migrate the (empty) database of ``env``, train the default model on ``rows`` synthetic
    applications (it becomes champion) and return a new API key."""
    (tmp / "models").mkdir(exist_ok=True)  # the kreditax.E001 system check wants it
    _manage(env, "migrate", "--noinput")
    data = tmp / "apps.parquet"
    _manage(env, "generate_data", "--rows", str(rows), "--seed", "3", "--out", str(data))
    _manage(env, "train_model", "--data", str(data), "--folds", "0")
    return _manage(env, "create_api_key", "bench-los", "--quiet")


def start_gunicorn(env: dict[str, str], port: int, workers: int) -> subprocess.Popen:
    """gunicorn with the project's config (sync workers) on 127.0.0.1:``port``."""
    return subprocess.Popen(
        [
            PY,
            "-m",
            "gunicorn",
            "kreditax.wsgi:application",
            "--config",
            str(ROOT / "kreditax/gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--access-logfile",
            "/dev/null",
        ],
        env=env,
        cwd=ROOT,
    )


IN_PROCESS = r"""
import json, os, statistics, sys, time, uuid, django
django.setup()
from django.db import connection
from django.utils import timezone
from audit import services as audit_services
from credit_ml.decision import decide
from credit_ml.schema import INDONESIAN_SCHEMA, validate_record
from registry import model_cache
from registry.models import ApiClient
from registry.selectors import rule_set_policy
from scoring import services
app = json.loads(sys.argv[1]); n = int(sys.argv[2])
values = validate_record(INDONESIAN_SCHEMA, app)
loaded = model_cache.champion()
client = ApiClient.objects.select_related("rule_set").get(name="bench-los")
rules = rule_set_policy(rule_set=client.rule_set)
today = timezone.localdate()
def backend_cpu():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
def timed(fn, count, backend=False):
    out = []
    cpu0, db0 = time.process_time(), backend_cpu() if backend else 0.0
    for _ in range(count):
        t = time.perf_counter(); fn(); out.append(time.perf_counter() - t)
    cpu = time.process_time() - cpu0 + (backend_cpu() - db0 if backend else 0.0)
    return statistics.median(out) * 1e3, cpu / count * 1e3
decide_ms, decide_cpu = timed(lambda: decide(loaded.model, values, rule_set=rules, on=today), n)
actor = services.actor_of(client=client, user=None)
captured = []
insert = audit_services.decision_records_insert
def capture(prepared, **kwargs):
    captured.append(prepared)
    return insert(prepared, **kwargs)
audit_services.decision_records_insert = capture
services.application_score(
    payload=app, actor=actor, endpoint=services.Endpoint.PREDICT, idempotency_key=None)
audit_services.decision_records_insert = insert
(row, texts), = captured[0].built
def insert_one():
    fresh = [uuid.uuid4(), *row[1:]]
    insert(audit_services.PreparedRecords(captured[0].alias, [(fresh, texts)]))
insert_one()
insert_ms, insert_cpu = timed(insert_one, n // 4, backend=True)
service_ms, service_cpu = timed(lambda: services.application_score(
    payload=app, actor=actor, endpoint=services.Endpoint.PREDICT, idempotency_key=None),
    n // 4, backend=True)
print(json.dumps({
    "decide_ms": decide_ms, "decide_cpu_ms": decide_cpu, "insert_ms": insert_ms,
    "insert_cpu_ms": insert_cpu, "service_ms": service_ms, "service_cpu_ms": service_cpu}))
"""

BATCH_RAW = r"""
import json, statistics, sys, time, django
django.setup()
import numpy as np, xgboost as xgb
from credit_ml.synthetic import generate_applications
from registry import model_cache
model = model_cache.champion().model
frame = generate_applications(1000, seed=21)
x = model.encoder.transform(frame)
def rate(threads):
    model.set_threads(threads)
    def once():
        t = time.perf_counter()
        model.booster.predict(xgb.DMatrix(x, nthread=threads), pred_contribs=True)
        return time.perf_counter() - t
    once()
    return len(x) / statistics.median(once() for _ in range(5))
tables = model.tree_tables
def ours():
    t = time.perf_counter(); tables.contributions(x); return time.perf_counter() - t
print(json.dumps({"raw_rows_per_s": rate(1), "raw2_rows_per_s": rate(2),
                  "tables_rows_per_s": len(x) / statistics.median(ours() for _ in range(5))}))
"""


def _wrk(
    url: str, key: str, body_file: Path, conns: int, duration: int, status: int = 200
) -> dict[str, float]:
    script = body_file.with_suffix(f".{status}.lua")
    script.write_text(
        'wrk.method = "POST"\n'
        f'wrk.body = io.open("{body_file}"):read("*a")\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = "Api-Key {key}"\n'
        "function response(status, headers, body)\n"
        f'  if status ~= {status} then io.stderr:write("status " .. status .. "\\n") end\n'
        "end\n"
    )
    threads = 1 if conns == 1 else 2
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{conns}",
            f"-d{duration}s",
            "--latency",
            "-s",
            str(script),
            url,
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=duration + 30,
    )
    if "status " in out.stderr:
        raise SystemExit(f"unexpected responses: {out.stderr[:300]}")
    return _parse_wrk(out.stdout)


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]


def _parse_wrk(text: str) -> dict[str, float]:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", text).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", text).group(1))  # type: ignore[union-attr]
    count = int(re.search(r"(\d+) requests in", text).group(1))  # type: ignore[union-attr]
    return {"rps": rps, "p50_ms": p50, "p99_ms": p99, "requests": count}


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (Linux /proc)."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
    return total / os.sysconf("SC_CLK_TCK")


def _workers(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def _backends() -> list[int]:
    """The PostgreSQL backends connected to the scratch database (the workers' persistent
    connections), other than the one asking."""
    out = subprocess.run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            DB,
            "-At",
            "-c",
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_type = 'client backend' AND pid <> pg_backend_pid()",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return [int(line) for line in out.stdout.split()]


def _server_cpu(
    url: str, key: str, body_file: Path, duration: int, master: int, status: int = 200
) -> dict[str, float]:
    """wrk at concurrency 16, with the CPU time per request of the gunicorn workers and
    their PostgreSQL backends over the run (ms)."""
    pids = _workers(master) + _backends()
    before = _cpu_seconds(pids)
    figures = _wrk(url, key, body_file, 16, duration, status)
    figures["cpu_ms"] = (_cpu_seconds(pids) - before) / figures["requests"] * 1e3
    return figures


def _batch_http(url: str, key: str, body: bytes, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        request = urllib.request.Request(  # noqa: S310 (loopback only)
            url,
            data=body,
            headers={"Content-Type": "application/json", "Authorization": f"Api-Key {key}"},
        )
        start = time.perf_counter()
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 (loopback)
            raw = response.read()
        times.append(time.perf_counter() - start)  # until the last byte arrived
        payload = json.loads(raw)
        assert payload["scored"] == 1000, payload["invalid"]
    return 1000 / statistics.median(times)


def _wait_up(url: str) -> None:
    for _ in range(120):
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310 (loopback)
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("gunicorn did not start")


def _in_process(env: dict[str, str], app_json: str) -> dict[str, float]:
    done = subprocess.run(
        [PY, "-c", IN_PROCESS, app_json, "2000"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def _batch_body() -> bytes:
    from credit_ml.synthetic import generate_applications

    items = generate_applications(1000, seed=21).drop(columns=["is_default", "true_pd"])
    return json.dumps(
        {
            "applications": [
                {k: (None if v != v else v) for k, v in row.items()}
                for row in json.loads(items.to_json(orient="records"))
            ]
        }
    ).encode()


def _round(
    base: str, key: str, bodies: tuple[Path, Path], batch: bytes, duration: int, master: int
) -> dict[str, float]:
    empty, app = bodies
    return {
        "empty_c1_p50_ms": _wrk(f"{base}/predict", key, empty, 1, duration, 400)["p50_ms"],
        "predict_c1_p50_ms": _wrk(f"{base}/predict", key, app, 1, duration)["p50_ms"],
        "empty_c16_cpu_ms": _server_cpu(f"{base}/predict", key, empty, duration, master, 400)[
            "cpu_ms"
        ],
        **{
            f"predict_c16_{name}": value
            for name, value in _server_cpu(f"{base}/predict", key, app, duration, master).items()
        },
        "batch_rows_per_s": _batch_http(f"{base}/predict/batch", key, batch, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--db", default=DB, help="scratch database (dropped at the end)")
    parser.add_argument("--port", type=int, default=PORT)
    args = parser.parse_args()
    globals().update(DB=args.db, PORT=args.port)
    from scoring.examples import EXAMPLE_APPLICATION as APPLICATION

    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        env = _env(tmp)
        key = _setup(env, tmp)
        app_json = json.dumps(APPLICATION)
        inproc = _in_process(env, app_json)
        raw = json.loads(
            subprocess.run(
                [PY, "-c", BATCH_RAW], env=env, check=True, capture_output=True, text=True
            ).stdout
        )
        bodies = (tmp / "empty.json", tmp / "app.json")
        bodies[0].write_text("{}")
        bodies[1].write_text(app_json)
        batch = _batch_body()
        server = start_gunicorn(env, PORT, args.workers)
        try:
            base = f"http://127.0.0.1:{PORT}/api/v1"
            _wait_up(f"{base}/ready")
            _wrk(f"{base}/predict", key, bodies[1], 4, 3)  # warm every worker's model cache
            _batch_http(f"{base}/predict/batch", key, batch, 1)
            rounds = [
                _round(base, key, bodies, batch, args.duration, server.pid)
                for _ in range(args.rounds)
            ]
        finally:
            server.terminate()
            server.wait(timeout=30)
            _psql(f"DROP DATABASE IF EXISTS {DB}")
    _report(inproc, raw, rounds)


def _report(
    inproc: dict[str, float], raw: dict[str, float], rounds: list[dict[str, float]]
) -> None:
    fig = {name: statistics.median(r[name] for r in rounds) for name in rounds[0]}
    print(json.dumps({"in_process": inproc, "stock": raw, "rounds": rounds}))
    print(
        f"in-process: decision {inproc['decide_ms']:.3f} ms (CPU {inproc['decide_cpu_ms']:.3f}); "
        f"durable INSERT of one audit record {inproc['insert_ms']:.3f} ms (CPU incl. backend "
        f"{inproc['insert_cpu_ms']:.3f}); service call {inproc['service_ms']:.3f} ms "
        f"(CPU incl. backend {inproc['service_cpu_ms']:.3f})"
    )
    ratio = fig["batch_rows_per_s"] / raw["raw_rows_per_s"]
    print(
        f"(a) /predict/batch (1,000 rows, audit records): {fig['batch_rows_per_s']:,.0f} "
        f"explained rows/s; stock pred_contribs {raw['raw_rows_per_s']:,.0f} rows/s (1 thread; "
        f"{raw['raw2_rows_per_s']:,.0f} with 2); per-leaf tables alone "
        f"{raw['tables_rows_per_s']:,.0f} rows/s; ratio {ratio:.2f} (target >= 1.0: "
        f"{'met' if ratio >= 1.0 else 'NOT met'})"
    )
    parts = fig["empty_c1_p50_ms"] + inproc["insert_ms"] + inproc["decide_ms"]
    ratio = fig["predict_c1_p50_ms"] / parts
    print(
        f"(b) /predict c1 p50 {fig['predict_c1_p50_ms']:.2f} ms; parts: empty POST p50 "
        f"{fig['empty_c1_p50_ms']:.2f} + INSERT {inproc['insert_ms']:.3f} + decision "
        f"{inproc['decide_ms']:.3f} = {parts:.2f} ms; ratio {ratio:.2f} (target <= 1.25: "
        f"{'met' if ratio <= 1.25 else 'NOT met'})"
    )
    parts = fig["empty_c16_cpu_ms"] + inproc["insert_cpu_ms"] + inproc["decide_cpu_ms"]
    ratio = fig["predict_c16_cpu_ms"] / parts
    print(
        f"(c) /predict c16 server CPU per decision {fig['predict_c16_cpu_ms']:.3f} ms "
        f"({fig['predict_c16_rps']:.0f} req/s, p99 {fig['predict_c16_p99_ms']:.1f} ms); parts: "
        f"empty POST {fig['empty_c16_cpu_ms']:.3f} + INSERT {inproc['insert_cpu_ms']:.3f} + "
        f"decision {inproc['decide_cpu_ms']:.3f} = {parts:.3f} ms; ratio {ratio:.2f} "
        f"(target <= 1.2: {'met' if ratio <= 1.2 else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
