"""Time the compliance admin on 1,000,000 decision records in PostgreSQL.

Creates a separate database (``kreditax_bench`` by default, or BENCH_DATABASE_URL), migrates
it, seeds one million rows with ONE set-based ``INSERT ... SELECT generate_series`` (plausible
values; their content hashes are NOT valid, for speed: ``verify_audit`` would fail on them,
which is not what this measures), adds one properly built record for a known NIK, ANALYZEs,
then times server-side with Django's test client, signed in as a compliance officer: the
changelist, a filtered changelist, a NIK search and a decision page, median of 5 each (after
one warm-up). Target: each under 300 ms. The database is dropped at the end.

    .venv/bin/python benchmarks/bench_admin.py [--rows 1000000] [--keep]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kreditax_bench")
TARGET_MS = 300.0
NIK = "3171014101900001"

SEED_SQL = """
INSERT INTO audit_decisionrecord (
    request_id, created_at, decision_date, endpoint, client_name, model_label,
    rule_set_version, decision, probability_of_default, credit_score, risk_grade,
    thresholds, reasons, policy, failed_rules, attributions, counteroffer, shadow,
    idempotency_key_digest, application_masked, application_ref_digest, nik_digest,
    phone_digest, email_digest, pii_key_id, inputs_encrypted, inputs_key_id, content_hash,
    model_version_id
)
SELECT
    md5(i::text)::uuid,
    now() - make_interval(secs => i * 30),
    (now() - make_interval(secs => i * 30))::date,
    CASE WHEN i %% 10 = 0 THEN 'batch' ELSE 'predict' END,
    (ARRAY['bank-jaya', 'koperasi-maju', 'pindar-satu', 'bpr-sejahtera', 'multifinance-x'])
        [1 + i %% 5],
    'xgb-bench-' || (i / 333334),  -- versions follow each other in time
    'ojk-fintech-2025',
    (ARRAY['APPROVE', 'REVIEW', 'REJECT'])[1 + i %% 3],
    (i %% 1000) / 1000.0,
    300 + i %% 600,
    chr(65 + i %% 5),
    '{"approve_below": 0.08, "reject_from": 0.2}'::jsonb,
    '[{"code": "DSR_ADVERSE", "text_en": "High repayment burden"}]'::jsonb,
    '[{"code": "DSR_CAP", "passed": true}]'::jsonb,
    CASE WHEN i %% 4 = 0 THEN '["DSR_CAP"]'::jsonb ELSE '[]'::jsonb END,
    '{"base_value": -2.0, "contributions": {"dsr": 0.5, "age": -0.1}}'::jsonb,
    NULL, NULL, '',
    '{"nik": "3171 **** **** **01", "initials": "A.B.", "age": "31-40"}'::jsonb,
    md5('ref' || i) || md5('ref2' || i),
    md5('nik' || i) || md5('nik2' || i),
    md5('tel' || i) || md5('tel2' || i),
    '', 'bench', 'gAAAAA-not-real', 'bench',
    md5('hash' || i) || md5('hash2' || i),
    %(version_id)s
FROM generate_series(1, %(rows)s) AS i
"""


def _admin_connection(url: str) -> psycopg2.extensions.connection:
    parts = urlparse(url)
    conn = psycopg2.connect(
        dbname="postgres",
        user=parts.username,
        password=parts.password,
        host=parts.hostname,
        port=parts.port or 5432,
    )
    conn.autocommit = True
    return conn


def _database(create: bool) -> None:
    name = urlparse(URL).path.lstrip("/")
    conn = _admin_connection(URL)
    try:
        with conn.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            if create:
                cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()


def _setup_django() -> None:
    os.environ["DATABASE_URL"] = URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kreditax.settings.test")
    import django

    django.setup()


def _seed(rows: int) -> tuple[int, str]:
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from audit.services import decision_records_create
    from registry.models import ModelVersion
    from tests.audit.conftest import APPLICANT, recorded

    call_command("migrate", verbosity=0)
    version = ModelVersion.objects.create(
        label="xgb-bench-0",
        algorithm="xgboost",
        status="READY",
        artifact_path="/nonexistent",
        artifact_sha256="a" * 64,
        data_fingerprint="f" * 64,
        ready_at=timezone.now(),
    )
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(SEED_SQL, {"version_id": version.pk, "rows": rows})
    (target,) = decision_records_create(
        decisions=[
            recorded(
                version,
                request_id=uuid.uuid4(),
                created_at=timezone.now() - timedelta(days=40),
                application={**APPLICANT, "nik": NIK},
            )
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE audit_decisionrecord")
    print(f"seeded {rows:,} rows in {time.perf_counter() - started:.1f} s")
    return target.pk, NIK


def _compliance_client() -> object:
    from django.contrib.auth.models import Group, User
    from django.test import Client

    from registry import roles

    user = User.objects.create_user(username="bench-compliance", is_staff=True)
    user.groups.add(Group.objects.get(name=roles.COMPLIANCE_OFFICER))
    client = Client()
    client.force_login(user)
    return client


def _time(client: object, url: str, params: dict[str, str] | None = None) -> float:
    timings = []
    for attempt in range(6):
        started = time.perf_counter()
        response = client.get(url, params or {}, follow=True)  # type: ignore[attr-defined]
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (url, response.status_code)
        if attempt:  # the first is a warm-up
            timings.append(elapsed)
    return statistics.median(timings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    _database(create=True)
    try:
        _setup_django()
        record_id, nik = _seed(args.rows)
        client = _compliance_client()
        base = "/admin/audit/decisionrecord/"
        cases = {
            "changelist": (base, None),
            "filtered changelist": (
                base,
                {"decision__exact": "REJECT", "model": "xgb-bench-1", "rule": "DSR_CAP"},
            ),
            "NIK search": (base, {"q": nik}),
            "decision page": (f"{base}{record_id}/change/", None),
        }
        worst = 0.0
        for name, (url, params) in cases.items():
            median = _time(client, url, params)
            worst = max(worst, median)
            print(f"{name:<22} median of 5: {median:7.1f} ms")
        print(f"target < {TARGET_MS:.0f} ms: {'met' if worst < TARGET_MS else 'NOT met'}")
        return 0 if worst < TARGET_MS else 1
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            _database(create=False)


if __name__ == "__main__":
    sys.exit(main())
