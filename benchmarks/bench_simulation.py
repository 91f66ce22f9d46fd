"""What-if simulation throughput: recorded decisions re-decided per second, decryption
included, against the raw batch decision of the same rows.

Usage: ``.venv/bin/python benchmarks/bench_simulation.py [--rows 20000] [--repeats 5]``
``[--threads 2] [--trees 250] [--days 30]``

Method. Two versions of the product's default model (``TrainConfig`` defaults: 250 trees
of depth 4, no cross-validation; seeds 3 and 4) are trained on 20,000 synthetic
applications each; ``--rows`` other applications (seed 21) are validated
(``validate_record``), decided by the first version under ``fintech-2026.2`` with
``decide_many`` (what scoring records) on ``--days`` consecutive decision dates (rows
spread evenly), and kept as the audit trail keeps them: the recorded columns the
simulation reads (``policy.selectors.RecordedRows``) with the inputs encrypted by Fernet
(``audit.crypto.Cipher``). Then, ``--repeats`` times each, alternating so that the load of
a shared machine falls on all alike:

- simulation, rule-set candidate: what ``policy.services.simulate`` does after its database
  read: ``simulation_columns`` (bulk decryption; the replay of every record under its
  recorded model and rule set with the fidelity check; the decision under the candidate, a
  copy of ``fintech-2026.2`` with a 20 % cap) and ``SimulationReport.build``;
- the same with the decryption in the simulating process (no worker decrypting ahead:
  what a machine with one core gets);
- simulation, model candidate: the same with the second version as the candidate (the
  replay and the candidate then need a model pass each);
- raw: ``credit_ml.decision.decide_many`` on the same plaintext rows, same rule set, each
  row on its recorded date (what scoring does: with TreeSHAP, reasons and counteroffers);
- raw without explanations: ``decide_outcomes`` on the plaintext rows, one call per date
  (one model pass alone, no decryption, no replay, no report).

Every simulation repeat must reproduce all recorded decisions (fidelity 100 %). Left out
of all: the database read (one indexed range query of the period's records, the same for
any candidate) and the lookup of known outcomes. It prints one JSON line: the medians in
records per second, the simulations' rates over raw ``decide_many``'s, every repeat's
seconds, the booster's threads, the 1-minute load average at start and end (the 2-core
development machine is shared).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kreditax.settings.test")

import django  # noqa: E402

django.setup()

from cryptography.fernet import Fernet  # noqa: E402
from django.conf import settings  # noqa: E402

from audit import crypto  # noqa: E402
from credit_ml.decision import decide_many, decide_outcomes  # noqa: E402
from credit_ml.policy import RuleSet as PolicyRuleSet  # noqa: E402
from credit_ml.policy import fintech_rule_set_2  # noqa: E402
from credit_ml.schema import INDONESIAN_SCHEMA, validate_record  # noqa: E402
from credit_ml.scoring import ScoringModel  # noqa: E402
from credit_ml.synthetic import generate_applications  # noqa: E402
from credit_ml.training import TrainConfig, train_model  # noqa: E402
from policy import services  # noqa: E402
from policy.selectors import RecordedRows  # noqa: E402
from policy.simulation import SimulationReport  # noqa: E402
from registry.models import ModelVersion  # noqa: E402

DAY = date(2026, 6, 1)
RULE_SET = fintech_rule_set_2()


def _model(trees: int, threads: int, seed: int) -> ScoringModel:
    config = TrainConfig(n_estimators=trees, folds=0, n_threads=threads, seed=seed)
    trained = train_model(
        generate_applications(20_000, seed), schema=INDONESIAN_SCHEMA, config=config
    )
    import tempfile

    from credit_ml.artifacts import load_artifact, save_artifact

    root = Path(tempfile.mkdtemp(prefix="bench-simulation-"))
    saved = save_artifact(trained, root=root, label=f"bench-sim-{seed}", data_sha256="b" * 64)
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


def _days(n: int, days: int) -> list[date]:
    return [DAY + timedelta(days=i * days // n) for i in range(n)]


def _recorded(
    model: ScoringModel, rows: list[dict[str, Any]], days: list[date], cipher: crypto.Cipher
) -> RecordedRows:
    """The rows as the audit trail records them: decided by ``model`` on their dates."""
    decided = []
    for day in sorted(set(days)):
        group = [values for values, on in zip(rows, days, strict=True) if on == day]
        decided += decide_many(model, group, rule_set=RULE_SET, on=day)
    return RecordedRows(
        request_ids=[str(i) for i in range(len(rows))],
        decision_dates=days,
        model_version_ids=[1] * len(rows),
        rule_set_versions=[RULE_SET.version] * len(rows),
        decisions=[str(d.decision) for d in decided],
        pds=[d.probability_of_default for d in decided],
        scores=[d.credit_score for d in decided],
        grades=[d.risk_grade for d in decided],
        clients=["bench"] * len(rows),
        failed_rules=[list(d.failed_rules) for d in decided],
        tokens=[cipher.encrypt(values) for values in rows],
    )


def _lower_cap() -> PolicyRuleSet:
    definition = copy.deepcopy(RULE_SET.to_dict())
    definition["version"] = "fintech-bench-cap20"
    definition["rules"][0]["schedule"][-1]["value"] = 0.2
    return PolicyRuleSet.from_dict(definition)


def _simulation(
    recorded: RecordedRows, candidate: services.Candidate, models: dict[int, ScoringModel]
) -> int:
    columns = services.simulation_columns(
        recorded,
        candidate=candidate,
        as_of=None,
        rule_sets={RULE_SET.version: RULE_SET},
        load_model=models.get,
    )
    report = SimulationReport.build(columns, outcomes={}).to_dict()
    assert report["fidelity"]["mismatched"] == 0, report["fidelity"]
    assert report["skipped"] == {}, report["skipped"]
    return int(report["records"])


def _one_process(run: Callable[[], int]) -> int:
    """``run`` with the decryption in this process (no worker decrypting ahead)."""
    parallel_from = crypto.PARALLEL_FROM
    crypto.PARALLEL_FROM = 2**62
    try:
        return run()
    finally:
        crypto.PARALLEL_FROM = parallel_from


def _raw(model: ScoringModel, rows: list[dict[str, Any]], days: list[date]) -> int:
    return sum(
        len(decide_many(model, group, rule_set=RULE_SET, on=day))
        for day, group in _by_day(rows, days)
    )


def _raw_outcomes(model: ScoringModel, rows: list[dict[str, Any]], days: list[date]) -> int:
    return sum(
        len(decide_outcomes(model, group, rule_set=RULE_SET, on=day).decision)
        for day, group in _by_day(rows, days)
    )


def _by_day(
    rows: list[dict[str, Any]], days: list[date]
) -> list[tuple[date, list[dict[str, Any]]]]:
    groups: dict[date, list[dict[str, Any]]] = {}
    for values, day in zip(rows, days, strict=True):
        groups.setdefault(day, []).append(values)
    return list(groups.items())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--trees", type=int, default=250)
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args()
    load_start = os.getloadavg()[0]
    models = {1: _model(args.trees, args.threads, 3), 2: _model(args.trees, args.threads, 4)}
    rows = _rows(args.rows)
    days = _days(args.rows, args.days)
    settings.KREDITAX_AUDIT_KEYS = [Fernet.generate_key().decode()]  # the bench's own key
    recorded = _recorded(models[1], rows, days, crypto.cipher())
    by_rule_set = services.Candidate(rule_set=None, policy=_lower_cap(), model_version=None)
    by_model = services.Candidate(rule_set=None, policy=None, model_version=ModelVersion(pk=2))
    runs: dict[str, Callable[[], int]] = {
        "simulation_rule_set": lambda: _simulation(recorded, by_rule_set, models),
        "simulation_rule_set_one_process": lambda: _one_process(
            lambda: _simulation(recorded, by_rule_set, models)
        ),
        "simulation_model": lambda: _simulation(recorded, by_model, models),
        "raw": lambda: _raw(models[1], rows, days),
        "raw_outcomes": lambda: _raw_outcomes(models[1], rows, days),
    }
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.repeats):
        for name, run in runs.items():
            start = time.perf_counter()
            assert run() == args.rows
            times[name].append(time.perf_counter() - start)
    rates = {name: round(args.rows / statistics.median(values)) for name, values in times.items()}
    print(
        json.dumps(
            {
                "rows": args.rows,
                "days": args.days,
                "trees": args.trees,
                "threads": args.threads,
                "records_per_s": rates,
                "over_raw_decide_many": {
                    name: round(rates[name] / rates["raw"], 2)
                    for name in (
                        "simulation_rule_set",
                        "simulation_rule_set_one_process",
                        "simulation_model",
                    )
                },
                "cpu_count": os.cpu_count(),
                "seconds": {name: [round(t, 3) for t in values] for name, values in times.items()},
                "load_1min": [load_start, os.getloadavg()[0]],
            }
        )
    )


if __name__ == "__main__":
    main()
