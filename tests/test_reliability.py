"""The reliability benchmark, short: load, a PostgreSQL outage, a Redis outage and a killed
worker, checked.

Runs ``benchmarks/bench_reliability.py`` (its own PostgreSQL cluster and gunicorn, 10 s per
phase) and asserts what it measured. Bounded: the whole script must end within 15 minutes.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
HAS_PG_SERVER = bool(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
HAS_REDIS_SERVER = shutil.which("redis-server") is not None

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not HAS_PG_SERVER,
        reason="needs PostgreSQL's server binaries (/usr/lib/postgresql/*/bin)",
    ),
    pytest.mark.skipif(not HAS_REDIS_SERVER, reason="needs redis-server"),
]


@pytest.fixture(scope="module")
def measured() -> dict[str, dict[str, Any]]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    command = [sys.executable, str(ROOT / "benchmarks" / "bench_reliability.py")]
    # The load test: 60 s at concurrency 16 of predict, explain and batch; each fault
    # phase 10 s under the same load.
    options = ["--duration", "10", "--load-duration", "60", "--rows", "3000", "--json"]
    phases = ["--phases", "load,pg-outage,redis-outage,kill-worker"]
    done = subprocess.run(
        [*command, *options, *phases],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    lines = done.stdout.strip().splitlines()
    assert lines, done.stderr[-3000:]
    result: dict[str, dict[str, Any]] = json.loads(lines[-1])
    return result


def _common(result: dict[str, Any]) -> None:
    assert result["requests"] > 0
    assert result["records_missing"] == 0
    assert result["records_duplicated"] == 0
    assert result["records"] == result["decisions_answered"] + result["lost_recorded"]
    assert result["verify_audit"] is True


def test_under_load_every_answer_is_a_200_with_its_record(
    measured: dict[str, dict[str, Any]],
) -> None:
    load = measured["load"]
    _common(load)
    assert set(load["by_status"]) == {"200"}
    assert set(load["by_kind"]) == {"predict", "explain", "batch"}
    assert load["non_503_json_errors"] == 0
    assert load["passed"] is True


def test_a_postgresql_outage_gives_json_503s_and_recovers_within_seconds(
    measured: dict[str, dict[str, Any]],
) -> None:
    outage = measured["pg-outage"]
    _common(outage)
    assert set(outage["by_status"]) == {"200", "503"}
    assert outage["non_503_json_errors"] == 0
    assert outage["lost_in_flight"] == 0
    assert outage["recovery_seconds"] is not None
    assert 0 <= outage["recovery_seconds"] < 10
    assert outage["passed"] is True


def test_a_redis_outage_leaves_scoring_unaffected(measured: dict[str, dict[str, Any]]) -> None:
    outage = measured["redis-outage"]
    _common(outage)
    assert set(outage["by_status"]) == {"200"}
    assert outage["lost_in_flight"] == 0
    assert outage["passed"] is True


def test_a_killed_worker_loses_at_most_its_in_flight_request(
    measured: dict[str, dict[str, Any]],
) -> None:
    killed = measured["kill-worker"]
    _common(killed)
    assert set(killed["by_status"]) <= {"0", "200"}
    assert killed["lost_in_flight"] <= 1
    assert killed["lost_recorded"] <= killed["lost_in_flight"]
    assert killed["records_without_2xx"] == killed["lost_recorded"]
    assert killed["passed"] is True
