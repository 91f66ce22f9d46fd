"""What deciding one application costs through the array implementations, part by part.

Usage: ``.venv/bin/python benchmarks/bench_single_path.py [--rows 10000] [--calls 300]
[--repeats 9] [--baseline DIR]``

``credit_ml`` has one implementation of each concept, over arrays; the one-application
call is the batch call on one row (``decide`` is ``decide_many`` of one, ``score_row`` is
``score_rows`` of one, ``evaluate_policy`` is ``PolicyEvaluator.evaluate`` of one...).
This measures, per application, what each part of a decision costs that way, the whole
``credit_ml.decision.decide``, and ``decide_many`` of 128 applications per application.

Method: trains the default model (250 trees of depth 4, no cross-validation) on ``--rows``
synthetic applications (``credit_ml.synthetic``) and cleans 300 other synthetic
applications with ``validate_record``. Each part is timed as ``--calls`` calls cycling over
them (the counteroffer over those whose DSR exceeds the 30 % cap), with the garbage
collector off; ``--repeats`` such timings give a median time per call. Times are the
calling thread's CPU time (``time.thread_time``; XGBoost predicts in that thread with one
thread), which a shared machine disturbs less than wall time; on an idle core the two agree.

``--baseline DIR``: a directory holding an older ``credit_ml`` package, for instance the
one before the merge of the scalar and array twins::

    mkdir /tmp/base && git archive c764611 credit_ml | tar -x -C /tmp/base

Its one-application functions are then timed on the same model, rules and applications
in the same run, each repeat timing both versions back to back (in alternating order);
the extra cost of the one-row array path is the median of the paired differences. The
two versions' decisions are checked to be the same JSON first.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import math
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from credit_ml import decision, explain, policy, reasons, scoring  # noqa: E402
from credit_ml.artifacts import build_manifest  # noqa: E402
from credit_ml.features import FeatureConfig  # noqa: E402
from credit_ml.schema import INDONESIAN_SCHEMA, validate_record  # noqa: E402
from credit_ml.synthetic import generate_applications  # noqa: E402
from credit_ml.training import TrainConfig, train_model  # noqa: E402

DAY = date(2026, 3, 1)
CAP = 0.30
APPLICATIONS = 300
BATCH = 128
#: Above this extra cost per request, a scalar twin would be worth keeping (the brief's bar).
BAR_MS = 0.05

Call = Callable[[int], object]


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000, help="training applications")
    parser.add_argument("--calls", type=int, default=300, help="calls per timing")
    parser.add_argument("--repeats", type=int, default=9, help="timings; medians reported")
    parser.add_argument("--baseline", type=Path, help="a directory holding an older credit_ml")
    return parser.parse_args()


def _cleaned(rows: int, seed: int) -> list[dict[str, Any]]:
    frame = generate_applications(rows, seed)
    fields = frame[list(INDONESIAN_SCHEMA.names)]
    records = fields.astype(object).where(fields.notna(), None).to_dict("records")
    plain = [
        {k: v.item() if isinstance(v, np.generic) else v for k, v in r.items()} for r in records
    ]
    return [validate_record(INDONESIAN_SCHEMA, record) for record in plain]


def _baseline(directory: Path) -> ModuleType:
    """The older ``credit_ml`` in ``directory``, imported as ``credit_ml_base``."""
    target = Path(tempfile.mkdtemp(prefix="bench-baseline-")) / "credit_ml_base"
    shutil.copytree(directory / "credit_ml", target)
    for path in target.rglob("*.py"):
        path.write_text(re.sub(r"\bcredit_ml\b", "credit_ml_base", path.read_text()))
    sys.path.insert(0, str(target.parent))
    return importlib.import_module("credit_ml_base")


@dataclass(frozen=True)
class Part:
    """One part of a decision: the one-row array call, and the older version's call."""

    name: str
    new: Call
    old: Call | None


def _timed(call: Call, calls: int) -> float:
    """CPU seconds of this thread per call of ``calls`` calls, the garbage collector off."""
    gc.disable()
    try:
        start = time.thread_time()
        for i in range(calls):
            call(i)
        return (time.thread_time() - start) / calls
    finally:
        gc.enable()


class Setup:
    """The model, rules and applications, for this version and (optionally) the baseline."""

    def __init__(self, rows: int, baseline: ModuleType | None) -> None:
        config = TrainConfig(folds=0, seed=11)
        result = train_model(
            generate_applications(rows, 3), schema=INDONESIAN_SCHEMA, config=config
        )
        manifest = build_manifest(result, label="m-bench", data_sha256="0" * 64)
        self.model = scoring.ScoringModel(
            manifest=manifest, encoder=result.encoder, booster=result.booster
        )
        self.rules = policy.fintech_rule_set()
        self.config = FeatureConfig()
        self.apps = _cleaned(APPLICATIONS, 21)
        self.outputs = [self.model.score_row(v) for v in self.apps]
        self.decisions = [
            decision.decide(self.model, v, rule_set=self.rules, on=DAY) for v in self.apps
        ]
        self.over_cap = [
            v
            for v in self.apps
            if policy.counteroffer(v, cap=CAP, feature_config=self.config) is not None
        ]
        self.rows = [
            explain.contributions(self.model.booster, output.encoded[None, :])
            for output in self.outputs
        ]
        self.base = None if baseline is None else self._base(manifest.to_dict(), result)

    def _base(self, manifest: dict[str, Any], result: Any) -> dict[str, Any]:
        """The baseline's modules, and the same model and rules built with its classes."""
        names = ("decision", "explain", "features", "policy", "preprocessing", "reasons")
        modules = {
            name: importlib.import_module(f"credit_ml_base.{name}")
            for name in (*names, "schema", "scoring")
        }
        model = modules["scoring"].ScoringModel(
            manifest=modules["scoring"].ModelManifest.from_dict(manifest),
            encoder=modules["preprocessing"].Encoder.from_dict(result.encoder.to_dict()),
            booster=result.booster,
        )
        return {
            **modules,
            "model": model,
            "rules": modules["policy"].fintech_rule_set(),
            "config": modules["features"].FeatureConfig(),
        }

    def parts(self) -> list[Part]:
        apps, outputs, decided, over_cap, rows = (
            self.apps,
            self.outputs,
            self.decisions,
            self.over_cap,
            self.rows,
        )
        n, m = len(apps), len(over_cap)
        model, rules, config = self.model, self.rules, self.config
        encoder, groups = model.encoder, model.encoder.column_groups
        thresholds = model.manifest.thresholds
        names = INDONESIAN_SCHEMA.names
        b = self.base
        batches = [apps[i : i + BATCH] for i in range(0, n - BATCH + 1, BATCH)]

        def old(call: Call) -> Call | None:
            return call if b is not None else None

        return [
            Part(
                "encode (Encoder.encode_many of one)",
                lambda i: encoder.encode_many([apps[i % n]]),
                old(lambda i: b["model"].encoder.encode(apps[i % n])),
            ),
            Part(
                "group the contributions of one row",
                lambda i: explain.group_contributions(rows[i % n], groups),
                old(lambda i: b["explain"].group_contributions(rows[i % n][0], groups)),
            ),
            Part(
                "model decision of one PD (thresholds)",
                lambda i: thresholds.decide(outputs[i % n].probability_of_default),
                old(
                    lambda i: b["model"].manifest.thresholds.decide(
                        outputs[i % n].probability_of_default
                    )
                ),
            ),
            Part(
                "score_row (encode, predict, TreeSHAP, score)",
                lambda i: model.score_row(apps[i % n]),
                old(lambda i: b["model"].score_row(apps[i % n])),
            ),
            Part(
                "evaluate_policy (the fintech rules)",
                lambda i: policy.evaluate_policy(
                    rules, apps[i % n], on=DAY, feature_config=config, collected=names
                ),
                old(
                    lambda i: b["policy"].evaluate_policy(
                        b["rules"], apps[i % n], on=DAY, feature_config=b["config"], collected=names
                    )
                ),
            ),
            Part(
                f"counteroffer (DSR over the {CAP:.0%} cap)",
                lambda i: policy.counteroffer(over_cap[i % m], cap=CAP, feature_config=config),
                old(
                    lambda i: b["policy"].counteroffer(
                        over_cap[i % m], cap=CAP, feature_config=b["config"]
                    )
                ),
            ),
            Part(
                "build_reasons",
                lambda i: reasons.build_reasons(
                    outputs[i % n].contributions,
                    values=apps[i % n],
                    derived=decided[i % n].derived,
                    decision=decided[i % n].decision,
                    schema=INDONESIAN_SCHEMA,
                ),
                old(
                    lambda i: b["reasons"].build_reasons(
                        outputs[i % n].contributions,
                        values=apps[i % n],
                        derived=decided[i % n].derived,
                        decision=str(decided[i % n].decision),
                        schema=b["schema"].INDONESIAN_SCHEMA,
                    )
                ),
            ),
            Part(
                "decide (the whole in-process decision)",
                lambda i: decision.decide(model, apps[i % n], rule_set=rules, on=DAY),
                old(
                    lambda i: b["decision"].decide(
                        b["model"], apps[i % n], rule_set=b["rules"], on=DAY
                    )
                ),
            ),
            Part(
                f"decide_many of {BATCH}, per application",
                lambda i: decision.decide_many(
                    model, batches[i % len(batches)], rule_set=rules, on=DAY
                ),
                old(
                    lambda i: b["decision"].decide_many(
                        b["model"], batches[i % len(batches)], rule_set=b["rules"], on=DAY
                    )
                ),
            ),
        ]

    def check_same(self) -> None:
        """The baseline decides every application as this version does (as JSON), but for
        what changed by design since c764611: rule results carry their ``state``, and
        TreeSHAP comes exact in float64 from the per-leaf tables (XGBoost's float32 values
        differ below 2e-6), so contributions are compared within 1e-5."""
        if self.base is None:
            return
        old = self.base["decision"]
        for values, new in zip(self.apps, self.decisions, strict=True):
            before = old.decide(self.base["model"], values, rule_set=self.base["rules"], on=DAY)
            if not _same(_comparable(before), _comparable(new)):
                raise SystemExit(f"The versions decide {values['application_id']} differently.")


def _same(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Equal, but for contributions within 1e-5 of each other."""
    contributions = old.pop("contributions"), new.pop("contributions")
    reasons = old.pop("reasons"), new.pop("reasons")
    return (
        old == new
        and contributions[0].keys() == contributions[1].keys()
        and all(
            math.isclose(v, contributions[1][k], abs_tol=1e-5) for k, v in contributions[0].items()
        )
        and [{**r, "contribution": 0} for r in reasons[0]]
        == [{**r, "contribution": 0} for r in reasons[1]]
        and all(
            math.isclose(a["contribution"], b["contribution"], abs_tol=1e-5)
            for a, b in zip(*reasons, strict=True)
        )
    )


def _comparable(d: Any) -> dict[str, Any]:
    policy = d.policy.to_dict()
    policy["results"] = [
        {key: value for key, value in result.items() if key != "state"}
        for result in policy["results"]
    ]
    return {
        "pd": d.probability_of_default.hex(),
        "score": d.credit_score,
        "grade": d.risk_grade,
        "decision": str(d.decision),
        "reasons": [dict(r.to_dict()) for r in d.reasons],
        "policy": policy,
        "counteroffer": d.counteroffer.to_dict() if d.counteroffer else None,
        "contributions": dict(d.contributions),
    }


def _measure(part: Part, calls: int, repeats: int, per_call: int) -> tuple[float, float, float]:
    """Median ms per application of the new call and the old one, and of their paired
    differences (NaN without a baseline)."""
    new_times: list[float] = []
    old_times: list[float] = []
    for repeat in range(repeats):
        order: Sequence[tuple[Call, list[float]]] = [(part.new, new_times)]
        if part.old is not None:
            order = [*order, (part.old, old_times)]
            if repeat % 2:
                order = order[::-1]
        for call, times in order:
            times.append(_timed(call, calls) / per_call * 1e3)
    if not old_times:
        return statistics.median(new_times), float("nan"), float("nan")
    extra = [n - o for n, o in zip(new_times, old_times, strict=True)]
    return statistics.median(new_times), statistics.median(old_times), statistics.median(extra)


def main() -> None:
    args = _arguments()
    baseline = _baseline(args.baseline) if args.baseline else None
    setup = Setup(args.rows, baseline)
    setup.check_same()
    print(
        f"model: 250 trees of depth 4 on {args.rows:,} rows; {len(setup.apps)} applications "
        f"({len(setup.over_cap)} over the cap); {args.calls} calls x {args.repeats} repeats; "
        f"load average {os.getloadavg()[0]:.2f}"
        + ("" if setup.base is None else "; the versions decide every application alike")
    )
    results = []
    for part in setup.parts():
        batch = part.name.startswith("decide_many")
        calls = max(1, args.calls // BATCH) if batch else args.calls
        results.append((part.name, *_measure(part, calls, args.repeats, BATCH if batch else 1)))
    decide_ms = next(new for name, new, _, _ in results if name.startswith("decide ("))
    header = f"{'part':46} {'one row':>9} {'of decide':>9} {'baseline':>9} {'extra':>9}"
    print(header + "   (ms of CPU per application, medians)")
    for name, new, old, extra in results:
        flag = "  > bar" if extra > BAR_MS else ""
        share = f"{new / decide_ms:9.1%}"
        before = "-" if math.isnan(old) else f"{old:.4f}"
        more = "-" if math.isnan(extra) else f"{extra:+.4f}"
        print(f"{name:46} {new:9.4f} {share} {before:>9} {more:>9}{flag}")
    print(f"bar for keeping a scalar twin: {BAR_MS} ms extra per request")


if __name__ == "__main__":
    main()
