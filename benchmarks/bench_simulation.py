"""What-if simulation throughput: recorded decisions re-decided per second, decryption
included, against the raw batch decision of the same rows.

Usage: ``.venv/bin/python benchmarks/bench_simulation.py [--rows 20000] [--repeats 5]``
``[--threads 2] [--trees 250]``

Method. The product's default model (``TrainConfig`` defaults: 250 trees of depth 4, no
cross-validation) is trained on 20,000 synthetic applications (seed 3); ``--rows`` other
applications (seed 21) are validated (``validate_record``) and encrypted with a Fernet key as
the audit trail stores them (``audit.crypto.Cipher``). Then, ``--repeats`` times each,
alternating so that the load of a shared machine falls on both alike:

- simulation: the simulation service's own steps on those rows: bulk decryption
  (``policy.services._decrypted``), one batch decision of the group
  (``policy.services._decide``: ``decide_outcomes`` under ``fintech-2026.2`` on 2026-06-01:
  the rules, encoding and PD of ``decide_many`` without reasons, counteroffers or TreeSHAP)
  and the report (``SimulationReport.build``) with the recorded decisions as "before";
- raw: ``credit_ml.decision.decide_many`` on the same plaintext rows, same rule set and date
  (what scoring does: with TreeSHAP, reasons and counteroffers);
- raw without explanations: ``decide_outcomes`` on the plaintext rows (the simulation's
  model pass alone: the difference to "simulation" is decryption and the report).

The database read (one indexed range query of the period's records) is left out of both:
it is the same ``values_list`` for any candidate. It prints one JSON line: the medians in
records per second of both, their ratio, every repeat's seconds, the booster's threads, the
1-minute load average at start and end (the 2-core development machine is shared).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kreditax.settings.test")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
from cryptography.fernet import Fernet, MultiFernet  # noqa: E402

from audit import crypto  # noqa: E402
from credit_ml.decision import decide_many, decide_outcomes  # noqa: E402
from credit_ml.policy import fintech_rule_set_2  # noqa: E402
from credit_ml.schema import INDONESIAN_SCHEMA, validate_record  # noqa: E402
from credit_ml.scoring import ScoringModel  # noqa: E402
from credit_ml.synthetic import generate_applications  # noqa: E402
from credit_ml.training import TrainConfig, train_model  # noqa: E402
from policy import services  # noqa: E402
from policy.simulation import Columns, SimulationReport  # noqa: E402

DAY = date(2026, 6, 1)


def _model(trees: int, threads: int) -> ScoringModel:
    config = TrainConfig(n_estimators=trees, folds=0, n_threads=threads)
    trained = train_model(generate_applications(20_000, 3), schema=INDONESIAN_SCHEMA, config=config)
    import tempfile

    from credit_ml.artifacts import load_artifact, save_artifact

    root = Path(tempfile.mkdtemp(prefix="bench-simulation-"))
    saved = save_artifact(trained, root=root, label="bench-sim", data_sha256="b" * 64)
    model = load_artifact(saved.path, expected_sha256=saved.sha256)
    model.set_threads(threads)
    return model


def _rows(n: int) -> list[dict[str, Any]]:
    """Synthetic applications (seed 21), validated as the API validates them (empty cells
    are left out)."""
    frame = generate_applications(n, 21, reference_date=DAY)
    records = frame[list(INDONESIAN_SCHEMA.names)].to_dict(orient="records")
    return [
        validate_record(INDONESIAN_SCHEMA, {k: v for k, v in record.items() if v == v}, today=DAY)
        for record in records
    ]


def _simulation(model: ScoringModel, tokens: list[str], recorded: list[str]) -> int:
    inputs, failed = services._decrypted(tokens)
    assert not failed
    decided = services._decide(model, inputs, fintech_rule_set_2(), DAY)
    assert not decided.errors
    n = len(decided.decision)
    columns = Columns(
        request_ids=[str(i) for i in range(n)],
        recorded=recorded,
        recorded_pd=decided.probability_of_default,
        amount=np.array([float(values["loan_amount"]) for values in inputs]),
        segments={name: ["-"] * n for name in ("client", "grade", "province", "purpose")},
        before_rules=[() for _ in range(n)],
        after=list(decided.decision),
        after_pd=decided.probability_of_default,
        after_rules=list(decided.failed_rules),
    )
    SimulationReport.build(columns, outcomes={})
    return n


def _raw(model: ScoringModel, rows: list[dict[str, Any]]) -> int:
    return len(decide_many(model, rows, rule_set=fintech_rule_set_2(), on=DAY))


def _raw_outcomes(model: ScoringModel, rows: list[dict[str, Any]]) -> int:
    return len(decide_outcomes(model, rows, rule_set=fintech_rule_set_2(), on=DAY).decision)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--trees", type=int, default=250)
    args = parser.parse_args()
    load_start = os.getloadavg()[0]
    model = _model(args.trees, args.threads)
    rows = _rows(args.rows)
    cipher = crypto.Cipher(fernet=MultiFernet([Fernet(Fernet.generate_key())]), key_id="bench")
    tokens = [cipher.encrypt(values) for values in rows]
    services.crypto.cipher = lambda: cipher  # type: ignore[assignment]  # the bench's key
    recorded = [
        str(d.decision) for d in decide_many(model, rows, rule_set=fintech_rule_set_2(), on=DAY)
    ]
    times: dict[str, list[float]] = {"simulation": [], "raw": [], "raw_outcomes": []}
    for _ in range(args.repeats):
        for name, run in (
            ("simulation", lambda: _simulation(model, tokens, recorded)),
            ("raw", lambda: _raw(model, rows)),
            ("raw_outcomes", lambda: _raw_outcomes(model, rows)),
        ):
            start = time.perf_counter()
            assert run() == args.rows
            times[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(
        json.dumps(
            {
                "rows": args.rows,
                "trees": args.trees,
                "threads": args.threads,
                "simulation_records_per_s": round(args.rows / medians["simulation"]),
                "raw_decide_many_rows_per_s": round(args.rows / medians["raw"]),
                "raw_decide_outcomes_rows_per_s": round(args.rows / medians["raw_outcomes"]),
                "simulation_over_raw_time": round(medians["simulation"] / medians["raw"], 3),
                "simulation_over_raw_outcomes_time": round(
                    medians["simulation"] / medians["raw_outcomes"], 3
                ),
                "cpu_count": os.cpu_count(),
                "seconds": {name: [round(t, 3) for t in values] for name, values in times.items()},
                "load_1min": [load_start, os.getloadavg()[0]],
            }
        )
    )


if __name__ == "__main__":
    main()
