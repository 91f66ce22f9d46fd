"""TreeSHAP throughput of XGBoost's native ``pred_contribs``, and plain ``predict``, per row.

Usage:
``.venv/bin/python benchmarks/bench_treeshap.py [--rows 20000] [--repeats 7] [--threads 1,2]``
``[--model DIR | --save-model DIR] [--save-contribs FILE] [--compare-contribs FILE]``
``[--against PYTHON ... [--rounds 3]] [--summarize FILE]``

One run: the product's default model (``TrainConfig`` defaults: 250 trees of depth 4,
monotone constraints; no cross-validation) is trained with ``credit_ml.training.train_model``
on ``--train-rows`` synthetic applications (seed 3, as in ``bench_scoring.py``), and
``--rows`` other applications (seed 21) are encoded with the model's own encoder. With
``--model DIR`` the booster (``DIR/booster.ubj``) and the encoded rows (``DIR/rows.npy``)
are loaded instead, and neither ``credit_ml`` nor pandas is imported: the same model and
rows can be measured under another XGBoost or another Python, in an environment that only
has numpy and xgboost. ``--save-model DIR`` writes them (and ``meta.json``).

For each thread count (the booster's ``nthread`` and the DMatrix's), after one warm-up on
2,000 rows, it times ``--repeats`` times: building the DMatrix, ``predict(pred_contribs=True)``
and plain ``predict``, each prediction on a fresh DMatrix (XGBoost caches plain predictions
per DMatrix). It prints one JSON line: Python, XGBoost and numpy versions; per thread count
the medians in microseconds per row and rows/s, every repeat's seconds, the TreeSHAP CPU
time per row (the process's CPU time, all threads) and the CPU share (CPU time over wall
time x threads: about 1 when the run had its cores to itself, lower when other work on the
machine took them); the 1-minute load average at start and end; and checks: contributions
equal across thread counts, contributions plus bias against the margin.
``--save-contribs FILE`` keeps the first thread count's contributions (``.npy``);
``--compare-contribs FILE`` reports their max absolute difference against a saved array.

Comparing installations (``--against PYTHON ...``): this interpreter trains and saves the
model once (into ``--save-model DIR``, or a temporary directory; ``--model DIR`` reuses a
saved one), then runs this script with ``--model DIR`` under this interpreter and under each
``--against`` interpreter in turn, ``--rounds`` times, alternating (A, B, A, B, ...) so that
the load of a shared machine falls on all alike. Every run compares its contributions with
the first run's. It prints each run's line, then a table of the medians over the runs per
installation, and for each other installation the per-round ratios of per-row times to the
first one (wall clock and CPU time; above 1 means the first is faster) with their median.
``--summarize FILE`` prints that summary again from a saved output.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import xgboost as xgb

ROOT = Path(__file__).resolve().parent.parent
TRAIN_SEED = 3
SCORE_SEED = 21


def _train(train_rows: int, rows: int, threads: int) -> tuple[xgb.Booster, np.ndarray]:
    """The product's default model and ``rows`` encoded applications (imports the product)."""
    sys.path.insert(0, str(ROOT))
    from credit_ml.schema import INDONESIAN_SCHEMA
    from credit_ml.synthetic import generate_applications
    from credit_ml.training import TrainConfig, train_model

    config = TrainConfig(folds=0, n_threads=threads)
    result = train_model(
        generate_applications(train_rows, seed=TRAIN_SEED), schema=INDONESIAN_SCHEMA, config=config
    )
    assert isinstance(result.booster, xgb.Booster)
    x = result.encoder.transform(generate_applications(rows, seed=SCORE_SEED))
    return result.booster, np.ascontiguousarray(x, dtype=np.float32)


def _load(directory: Path, rows: int) -> tuple[xgb.Booster, np.ndarray]:
    booster = xgb.Booster()
    booster.load_model(str(directory / "booster.ubj"))
    x = np.load(directory / "rows.npy")
    if rows > len(x):
        raise SystemExit(f"{directory / 'rows.npy'} holds {len(x)} rows, fewer than --rows {rows}")
    return booster, np.ascontiguousarray(x[:rows], dtype=np.float32)


def _save(directory: Path, booster: xgb.Booster, x: np.ndarray) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    booster.save_model(str(directory / "booster.ubj"))
    np.save(directory / "rows.npy", x)
    meta = {"xgboost": xgb.__version__, "python": platform.python_version(), "rows": len(x)}
    (directory / "meta.json").write_text(json.dumps(meta) + "\n")


def _timed(fn: Any, cpu: list[float] | None = None) -> tuple[float, Any]:
    """Wall-clock seconds of ``fn()`` and its result; appends the process's CPU seconds."""
    start, start_cpu = time.perf_counter(), time.process_time()
    out = fn()
    if cpu is not None:
        cpu.append(time.process_time() - start_cpu)
    return time.perf_counter() - start, out


def _measure(booster: xgb.Booster, x: np.ndarray, threads: int, repeats: int) -> dict[str, Any]:
    """Medians over ``repeats`` of DMatrix build, TreeSHAP and plain predict, one thread count."""
    booster.set_param({"nthread": threads})
    booster.predict(xgb.DMatrix(x[:2000], nthread=threads), pred_contribs=True)  # warm-up
    build, shap, shap_cpu, plain = [], [], [], []
    contribs = margin = None
    for _ in range(repeats):
        seconds, matrix = _timed(lambda: xgb.DMatrix(x, nthread=threads))
        build.append(seconds)
        seconds, contribs = _timed(
            lambda m=matrix: booster.predict(m, pred_contribs=True), shap_cpu
        )
        shap.append(seconds)
        matrix = xgb.DMatrix(x, nthread=threads)
        seconds, _ = _timed(lambda m=matrix: booster.predict(m))
        plain.append(seconds)
    margin = booster.predict(xgb.DMatrix(x, nthread=threads), output_margin=True)
    n = len(x)
    shap_s, plain_s = statistics.median(shap), statistics.median(plain)
    return {
        "figures": {
            "treeshap_us_per_row": shap_s / n * 1e6,
            "treeshap_rows_per_s": n / shap_s,
            "treeshap_runs_s": [round(s, 4) for s in shap],
            # Process CPU time (all threads) over wall time x threads: about 1 when the run
            # had its cores to itself, lower when other work on the machine took them.
            "treeshap_cpu_us_per_row": statistics.median(shap_cpu) / n * 1e6,
            "treeshap_cpu_share": statistics.median(
                c / (w * threads) for c, w in zip(shap_cpu, shap, strict=True)
            ),
            "predict_us_per_row": plain_s / n * 1e6,
            "predict_rows_per_s": n / plain_s,
            "predict_runs_s": [round(s, 5) for s in plain],
            "dmatrix_us_per_row": statistics.median(build) / n * 1e6,
        },
        "contribs": contribs,
        "margin": margin,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    threads = [int(t) for t in args.threads.split(",")]
    if args.model:
        booster, x = _load(Path(args.model), args.rows)
        source = f"loaded {args.model}"
    else:
        booster, x = _train(args.train_rows, args.rows, max(threads))
        source = f"trained on {args.train_rows} rows"
        if args.save_model:
            _save(Path(args.save_model), booster, x)
    out: dict[str, Any] = {
        "python": platform.python_version(),
        "xgboost": xgb.__version__,
        "numpy": np.__version__,
        "model": source,
        "trees": booster.num_boosted_rounds(),
        "rows": len(x),
        "columns": x.shape[1],
        "repeats": args.repeats,
        "loadavg_1min_at_start": os.getloadavg()[0],
    }
    first = None
    for t in threads:
        measured = _measure(booster, x, t, args.repeats)
        out[f"threads_{t}"] = measured["figures"]
        contribs = measured["contribs"]
        if first is None:
            first = contribs
            additivity = np.abs(contribs.sum(axis=1, dtype=np.float64) - measured["margin"])
            out["max_abs_sum_minus_margin"] = float(additivity.max())
        else:
            out[f"max_abs_diff_threads_{t}_vs_{threads[0]}"] = float(np.abs(contribs - first).max())
    if args.save_contribs:
        np.save(args.save_contribs, first)
    out["loadavg_1min_at_end"] = os.getloadavg()[0]
    if args.compare_contribs:
        saved = np.load(args.compare_contribs)[: len(x)]
        out["max_abs_diff_vs_saved"] = float(np.abs(first - saved).max())
        out["max_abs_saved"] = float(np.abs(saved).max())
    return out


def _child_args(args: argparse.Namespace, model: Path, contribs: Path, first: bool) -> list[str]:
    keep = ["--rows", str(args.rows), "--repeats", str(args.repeats), "--threads", args.threads]
    extra = ["--save-contribs", str(contribs)] if first else ["--compare-contribs", str(contribs)]
    return [__file__, "--model", str(model), *keep, *extra]


def compare(args: argparse.Namespace) -> None:
    """Alternate runs of the same model and rows under this and the ``--against`` Pythons."""
    with tempfile.TemporaryDirectory() as tmp:
        model = Path(args.model or args.save_model or Path(tmp) / "model")
        if not args.model:
            booster, x = _train(args.train_rows, args.rows, 2)
            _save(model, booster, x)
            del booster, x
        contribs = Path(tmp) / "contribs.npy"
        pythons = [sys.executable, *args.against]
        records: list[dict[str, Any]] = []
        for round_ in range(args.rounds):
            for python in pythons:
                first = round_ == 0 and python == pythons[0]
                done = subprocess.run(
                    [python, *_child_args(args, model, contribs, first)],
                    check=True,
                    capture_output=True,
                    text=True,
                )
                line = done.stdout.strip().splitlines()[-1]
                print(line, flush=True)
                records.append(json.loads(line))
    _summary(records)


def _label(record: dict[str, Any]) -> str:
    return f"python {record['python']}, xgboost {record['xgboost']}"


def _summary(records: list[dict[str, Any]]) -> None:
    """Medians per installation over its runs, and the paired per-round ratios to the first.

    ``records`` are the runs' JSON lines in the order they ran; the first installation seen
    is the reference, and the k-th run of another installation is paired with its k-th run.
    """
    runs: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        runs.setdefault(_label(record), []).append(record)
    labels = list(runs)
    base = runs[labels[0]]
    threads = sorted(int(key.split("_")[1]) for key in base[0] if key.startswith("threads_"))
    print()
    print(
        "| installation | threads | TreeSHAP us/row | rows/s | CPU us/row | CPU share "
        "| predict us/row | runs |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for label in labels:
        mine = runs[label]
        for t in threads:
            fig = [r[f"threads_{t}"] for r in mine]
            shap = statistics.median(f["treeshap_us_per_row"] for f in fig)
            cpu = statistics.median(f["treeshap_cpu_us_per_row"] for f in fig)
            share = statistics.median(f["treeshap_cpu_share"] for f in fig)
            plain = statistics.median(f["predict_us_per_row"] for f in fig)
            print(
                f"| {label} | {t} | {shap:.1f} | {1e6 / shap:,.0f} | {cpu:.1f} | {share:.2f} "
                f"| {plain:.2f} | {len(mine)} |"
            )
    print()
    for label in labels[1:]:
        mine = runs[label]
        diffs = [r.get("max_abs_diff_vs_saved", float("nan")) for r in mine]
        print(f"{label}: contributions against the first run, max abs diff {max(diffs):.3g}")
        pairs = list(zip(base, mine, strict=False))
        for t in threads:
            key = f"threads_{t}"
            for figure, name in (
                ("treeshap_us_per_row", "TreeSHAP wall"),
                ("treeshap_cpu_us_per_row", "TreeSHAP CPU"),
                ("predict_us_per_row", "predict wall"),
            ):
                ratios = [o[key][figure] / b[key][figure] for b, o in pairs]
                print(
                    f"  {t} thread(s), {name}: {labels[0]} is {statistics.median(ratios):.2f}x "
                    f"as fast (rounds {', '.join(f'{r:.2f}' for r in ratios)})"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000, help="rows to explain")
    parser.add_argument("--train-rows", type=int, default=30_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", default="1,2", help="comma-separated nthread values")
    parser.add_argument("--model", help="directory with booster.ubj and rows.npy to load")
    parser.add_argument("--save-model", help="directory to write booster.ubj and rows.npy to")
    parser.add_argument("--save-contribs", help=".npy file for the one-thread contributions")
    parser.add_argument("--compare-contribs", help=".npy file of contributions to compare")
    parser.add_argument("--against", nargs="+", default=[], help="other Python interpreters")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (--against)")
    parser.add_argument("--summarize", help="summarise a saved output of --against instead")
    args = parser.parse_args()
    if args.summarize:
        lines = Path(args.summarize).read_text().splitlines()
        _summary([json.loads(line) for line in lines if line.startswith("{")])
    elif args.against:
        compare(args)
    else:
        print(json.dumps(run(args)), flush=True)


if __name__ == "__main__":
    main()
