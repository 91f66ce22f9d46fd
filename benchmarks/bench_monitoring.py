"""Time the risk manager's monitoring pages on 1,000,000 decision records and two years of
daily snapshots in PostgreSQL.

Creates a separate database (``kreditax_bench_monitoring`` by default, or
BENCH_DATABASE_URL), migrates it, seeds the decision records as ``bench_admin.py`` does (one
set-based INSERT), gives the version a baseline computed by ``credit_ml.monitoring`` from
synthetic applications, and writes 730 days x (all clients + 5 clients) snapshots whose
report is built by the product's own report functions over 500 synthetic decisions. Then,
signed in as a risk manager, times server-side with Django's test client: the dashboard
(default 90 days, and the whole two years), a CSV, the snapshot list and the open alerts;
median of 5 each after one warm-up. Target: each under 300 ms. The database is dropped at
the end.

    .venv/bin/python benchmarks/bench_monitoring.py [--rows 1000000] [--keep]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kreditax_bench_monitoring"
)

import bench_admin  # noqa: E402  (after the database URL is chosen)

TARGET_MS = 300.0
DAYS = 730
CLIENTS = ("", "bank-jaya", "koperasi-maju", "pindar-satu", "bpr-sejahtera", "multifinance-x")


def _report(baseline: Any, rng: np.random.Generator) -> dict[str, Any]:
    """One day's report, as the product builds it, over 500 synthetic decisions."""
    import pandas as pd

    from credit_ml.cohorts import by_cohort, calibration_by_grade, vintage_curves
    from credit_ml.monitoring import PsiBands, decision_mix, fairness_over_period
    from credit_ml.outcomes import DefaultDefinition
    from credit_ml.schema import INDONESIAN_SCHEMA
    from credit_ml.synthetic import generate_applications
    from monitoring.services import PerformanceReport, stability_report

    apps = generate_applications(rows=500, seed=int(rng.integers(1_000_000)))
    pds = rng.beta(2, 15, size=500)
    frame = pd.DataFrame(
        {
            "decision": rng.choice(["APPROVE", "REVIEW", "REJECT"], size=500, p=[0.6, 0.2, 0.2]),
            "probability_of_default": pds,
            "credit_score": (600 - 72 * np.log(pds / (1 - pds) * 30)).round(),
            "risk_grade": rng.choice(list("ABCDE"), size=500),
            "failed_rules": [["OJK_MAX_REPAYMENT_TO_INCOME"] if p > 0.2 else [] for p in pds],
            "reason_codes": [["DSR_HIGH", "INCOME_LOW"] for _ in pds],
            "contributions": [{"monthly_income": -0.1, "dsr": 0.2} for _ in pds],
            "client_name": rng.choice(CLIENTS[1:], size=500),
            **{f"field:{n}": apps[n].tolist() for n in baseline.fields},
        }
    )
    bad = (rng.random(500) < pds).tolist()
    months = ["2025-01"] * 500
    performance = PerformanceReport(
        matured=500,
        cohorts=by_cohort(months, pds.tolist(), bad),
        calibration=calibration_by_grade(frame["risk_grade"].tolist(), pds.tolist(), bad),
        vintages=vintage_curves(months, [6 if b else None for b in bad], max_mob=12),
    )
    return {
        "stability": stability_report(baseline=baseline, frame=frame, bands=PsiBands()).to_dict(),
        "decision_mix": decision_mix(frame),
        "performance": performance.to_dict(),
        "fairness": fairness_over_period(frame, schema=INDONESIAN_SCHEMA),
        "default_definition": DefaultDefinition().to_dict(),
    }


def _seed_snapshots() -> int:
    from credit_ml.monitoring import model_baseline
    from credit_ml.schema import INDONESIAN_SCHEMA
    from credit_ml.synthetic import generate_applications
    from monitoring.dashboard import dashboard_series
    from monitoring.models import MonitoringAlert, MonitoringSnapshot
    from registry.models import ModelAlias, ModelVersion

    version = ModelVersion.objects.get(label="xgb-bench-0")
    frame = generate_applications(rows=5000, seed=1)
    rng = np.random.default_rng(1)
    baseline = model_baseline(
        frame,
        schema=INDONESIAN_SCHEMA,
        scores=rng.integers(350, 850, size=2000),
        contributions={"monthly_income": -0.05, "dsr": 0.1},
        points_per_log_odds=72.13,
    )
    version.baseline, version.baseline_source = baseline.to_dict(), "training"
    version.save(update_fields=["baseline", "baseline_source"])
    ModelAlias.objects.filter(name="champion").update(version=version)
    reports = [_report(baseline, rng) for _ in range(20)]
    series = [dashboard_series(report) for report in reports]
    last = date.today()
    started = time.perf_counter()
    for day_index in range(DAYS):
        day = last - timedelta(days=day_index)
        snapshots = MonitoringSnapshot.objects.bulk_create(
            [
                MonitoringSnapshot(
                    day=day,
                    model_version=version,
                    model_label=version.label,
                    client_name=client,
                    decisions=1370 if not client else 274,
                    approved=822 if not client else 164,
                    score_psi=0.05,
                    report=reports[(day_index + i) % len(reports)],
                    series=series[(day_index + i) % len(reports)],
                )
                for i, client in enumerate(CLIENTS)
            ]
        )
        MonitoringAlert.objects.create(
            snapshot=snapshots[0], kind="PSI_ACT", subject="score", value=0.3, threshold=0.25,
            message="PSI of score is 0.300, over the act band (0.25).",
        )  # fmt: skip
    print(f"seeded {DAYS * len(CLIENTS):,} snapshots in {time.perf_counter() - started:.1f} s")
    return DAYS * len(CLIENTS)


def _risk_client() -> object:
    from django.contrib.auth.models import Group, User
    from django.test import Client

    from registry import roles

    user = User.objects.create_user(username="bench-risk", is_staff=True)
    user.groups.add(Group.objects.get(name=roles.RISK_MANAGER))
    client = Client()
    client.force_login(user)
    return client


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    bench_admin._database(create=True)
    try:
        bench_admin._setup_django()
        bench_admin._seed(args.rows)
        _seed_snapshots()
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE monitoring_monitoringsnapshot")
        client = _risk_client()
        dashboard = "/admin/monitoring/monitoringsnapshot/dashboard/"
        first = (date.today() - timedelta(days=DAYS - 1)).isoformat()
        cases = {
            "dashboard, 90 days": (dashboard, None),
            "dashboard, one client": (dashboard, {"client": "bank-jaya"}),
            "dashboard, two years": (dashboard, {"from": first}),
            "CSV (PSI per field)": (dashboard, {"csv": "psi"}),
            "snapshot list": ("/admin/monitoring/monitoringsnapshot/", None),
            "open alerts": ("/admin/monitoring/monitoringalert/", {"acknowledged": "no"}),
        }
        worst = 0.0
        for name, (url, params) in cases.items():
            median = bench_admin._time(client, url, params)
            worst = max(worst, median)
            print(f"{name:<24} median of 5: {median:7.1f} ms")
        print(f"target < {TARGET_MS:.0f} ms: {'met' if worst < TARGET_MS else 'NOT met'}")
        return 0 if worst < TARGET_MS else 1
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            bench_admin._database(create=False)


if __name__ == "__main__":
    sys.exit(main())
