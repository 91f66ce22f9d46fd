"""Scoring speed: the in-process decision against /predict over HTTP, and /predict/batch.

Usage: ``.venv/bin/python benchmarks/bench_scoring.py [--duration 15] [--workers 2]``

Needs PostgreSQL on 127.0.0.1:5432 (trust auth, user postgres) and ``wrk`` (Debian package
``wrk``). It creates a scratch database ``kreditax_bench`` (dropped at the end), migrates,
generates 30,000 synthetic applications, trains the default model (250 trees, depth 4),
creates an API key and starts gunicorn (sync workers, one scoring thread each) on
127.0.0.1:8011. Then, in one run:

1. in-process cost of one decision: ``credit_ml.decision.decide`` (encode, predict,
   TreeSHAP contributions, policy, reasons), and the whole service call
   ``scoring.services.application_score`` (validation, decision, audit record committed);
2. ``/predict`` over HTTP with API-key auth and the audit record: req/s, p50 and p99 at
   concurrency 1 and 16 (wrk, keep-alive);
3. ``/predict/batch`` with 1,000 applications: explained rows/s (until the last byte of the
   response arrived) against the raw ``pred_contribs`` throughput of the same booster on
   the same rows (one thread, as a web worker's booster has; two threads for reference),
   and the web worker's CPU time per explained row (the batch pipeline runs TreeSHAP in a
   second thread, so one batch request may use up to two cores).
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
DB = "kreditax_bench"
PORT = 8011


def _env(
    tmp: Path, database_url: str = f"postgres://postgres@127.0.0.1:5432/{DB}"
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "CELERY_BROKER_URL"}}
    env.update(
        DATABASE_URL=database_url,
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
import json, statistics, sys, time, django
django.setup()
from django.utils import timezone
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
def timed(fn, count):
    out = []
    for _ in range(count):
        t = time.perf_counter(); fn(); out.append(time.perf_counter() - t)
    return statistics.median(out) * 1e3
decide_ms = timed(lambda: decide(loaded.model, values, rule_set=rules, on=today), n)
actor = services.actor_of(client=client, user=None)
service_ms = timed(lambda: services.application_score(
    payload=app, actor=actor, endpoint=services.Endpoint.PREDICT, idempotency_key=None), n // 4)
print(json.dumps({"decide_ms": decide_ms, "service_ms": service_ms}))
"""

BATCH_RAW = r"""
import json, statistics, sys, time, django
django.setup()
import numpy as np, xgboost as xgb
from credit_ml.schema import INDONESIAN_SCHEMA, validate_record
from credit_ml.synthetic import generate_applications
from registry import model_cache
model = model_cache.champion().model
frame = generate_applications(1000, seed=21)
x = model.encoder.transform(frame)
model.set_threads(1)
def once():
    t = time.perf_counter()
    model.booster.predict(xgb.DMatrix(x, nthread=1), pred_contribs=True)
    return time.perf_counter() - t
secs = statistics.median(once() for _ in range(5))
model.set_threads(2)
def twice():
    t = time.perf_counter()
    model.booster.predict(xgb.DMatrix(x, nthread=2), pred_contribs=True)
    return time.perf_counter() - t
secs2 = statistics.median(twice() for _ in range(5))
print(json.dumps({"raw_rows_per_s": len(x) / secs, "raw2_rows_per_s": len(x) / secs2}))
"""


def _wrk(url: str, key: str, body_file: Path, conns: int, duration: int) -> dict[str, float]:
    script = body_file.with_suffix(".lua")
    script.write_text(
        'wrk.method = "POST"\n'
        f'wrk.body = io.open("{body_file}"):read("*a")\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = "Api-Key {key}"\n'
        "function response(status, headers, body)\n"
        '  if status ~= 200 then io.stderr:write("status " .. status .. "\\n") end\n'
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
        raise SystemExit(f"non-200 responses: {out.stderr[:300]}")
    return _parse_wrk(out.stdout)


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]


def _parse_wrk(text: str) -> dict[str, float]:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", text).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", text).group(1))  # type: ignore[union-attr]
    return {"rps": rps, "p50_ms": p50, "p99_ms": p99}


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    from scoring.examples import EXAMPLE_APPLICATION as APPLICATION

    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        env = _env(tmp)
        key = _setup(env, tmp)
        app_json = json.dumps(APPLICATION)
        inproc = json.loads(
            subprocess.run(
                [PY, "-c", IN_PROCESS, app_json, "2000"],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )
        raw = json.loads(
            subprocess.run(
                [PY, "-c", BATCH_RAW], env=env, check=True, capture_output=True, text=True
            ).stdout
        )
        body_file = tmp / "app.json"
        body_file.write_text(app_json)
        server = start_gunicorn(env, PORT, args.workers)
        try:
            base = f"http://127.0.0.1:{PORT}/api/v1"
            _wait_up(f"{base}/ready")
            _wrk(f"{base}/predict", key, body_file, 4, 3)  # warm every worker's model cache
            c1 = _wrk(f"{base}/predict", key, body_file, 1, args.duration)
            c16 = _wrk(f"{base}/predict", key, body_file, 16, args.duration)
            from credit_ml.synthetic import generate_applications

            items = generate_applications(1000, seed=21).drop(columns=["is_default", "true_pd"])
            batch_body = json.dumps(
                {
                    "applications": [
                        {k: (None if v != v else v) for k, v in row.items()}
                        for row in json.loads(items.to_json(orient="records"))
                    ]
                }
            ).encode()
            _batch_http(f"{base}/predict/batch", key, batch_body, 1)  # warm-up
            workers = _workers(server.pid)
            cpu_before = _cpu_seconds(workers)
            batch_rps = _batch_http(f"{base}/predict/batch", key, batch_body, 5)
            batch_cpu_ms = (_cpu_seconds(workers) - cpu_before) / 5 / 1000 * 1e3
        finally:
            server.terminate()
            server.wait(timeout=30)
            _psql(f"DROP DATABASE IF EXISTS {DB}")

    print(
        f"in-process decision (decide: encode, predict, TreeSHAP, policy, reasons): "
        f"{inproc['decide_ms']:.3f} ms median"
    )
    print(
        f"in-process service call (validate, decide, audit record committed): "
        f"{inproc['service_ms']:.3f} ms median"
    )
    for name, fig in (("concurrency 1", c1), ("concurrency 16", c16)):
        print(
            f"/predict {name}: {fig['rps']:.1f} req/s, "
            f"p50 {fig['p50_ms']:.2f} ms, p99 {fig['p99_ms']:.2f} ms"
        )
    print(
        f"  c16 target: >= 150 req/s with p99 < 250 ms: "
        f"{'met' if c16['rps'] >= 150 and c16['p99_ms'] < 250 else 'NOT met'}"
    )
    ratio = c1["p50_ms"] / inproc["decide_ms"]
    print(f"  c1 p50 / in-process decision: {ratio:.2f} (target <= 2)")
    print(f"  c1 p50 / in-process service call: {c1['p50_ms'] / inproc['service_ms']:.2f}")
    share = batch_rps / raw["raw_rows_per_s"]
    print(
        f"/predict/batch (1,000 rows): {batch_rps:,.0f} explained rows/s; raw pred_contribs "
        f"{raw['raw_rows_per_s']:,.0f} rows/s (1 thread); share {share:.0%} (target >= 80 %)"
    )
    print(
        f"  raw pred_contribs with 2 threads: {raw['raw2_rows_per_s']:,.0f} rows/s "
        f"(share {batch_rps / raw['raw2_rows_per_s']:.0%}); web worker CPU per explained "
        f"row {batch_cpu_ms:.3f} ms against {1e3 / raw['raw_rows_per_s']:.3f} ms of raw TreeSHAP"
    )


if __name__ == "__main__":
    main()
