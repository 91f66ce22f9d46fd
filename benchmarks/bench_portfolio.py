"""Portfolio scoring on one machine: peak memory and explained rows/s against stock TreeSHAP.

Usage: ``.venv/bin/python benchmarks/bench_portfolio.py [--rows 10000000] [--threads N]
[--stock-parts K]``

Generates ``--rows`` applications as a folder of Parquet parts (500,000 rows each, written
one part at a time), trains a version with the product's default parameters (250 trees of
depth 4, no CV) on 50,000 other rows, then in a fresh process:

1. the whole job, ``credit_ml.portfolio.score_files`` (read, validate, rules, TreeSHAP,
   reason codes, write Parquet), with the booster on ``--threads`` threads (default: every
   core); its rows/s is rows over the wall time of the job, and its peak memory is the
   process's ``VmHWM`` right after the job (a fresh process starts it afresh);
2. the stock library on the same rows and the same threads: each part's rows encoded the
   product's way (``Encoder.transform``, not timed), then ``Booster.predict(DMatrix,
   pred_contribs=True)`` timed alone, part by part; ``--stock-parts K`` times only the
   first K parts (the first K x 500,000 rows of the job's input), for sizes where timing
   stock on every row would take hours.

It prints both rates, their ratio (the issue's target: the job at least 90 % of stock)
and the load average (1 minute) before the job, after it and after the stock phase.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from credit_ml.artifacts import save_artifact  # noqa: E402 (after the path set-up)
from credit_ml.schema import INDONESIAN_SCHEMA  # noqa: E402
from credit_ml.synthetic import generate_applications  # noqa: E402
from credit_ml.training import TrainConfig, train_model  # noqa: E402

PART_ROWS = 500_000

CHILD = """
import os, sys, time
sys.path.insert(0, sys.argv[1])
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import xgboost as xgb

from credit_ml.artifacts import load_artifact
from credit_ml.policy import fintech_rule_set_2
from credit_ml.portfolio import ChunkRules, score_files


def hwm_mib():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1024


model_dir, sha, data, out, threads = sys.argv[2:7]
threads = int(threads)
model = load_artifact(Path(model_dir), expected_sha256=sha, n_threads=threads)
stock_parts = int(sys.argv[7])
base = hwm_mib()
loads = [os.getloadavg()[0]]
rules = ChunkRules(rule_set=fintech_rule_set_2(), on=date(2026, 12, 1))
start = time.perf_counter()
counts = score_files(model, Path(data), Path(out), rules=rules)
job = time.perf_counter() - start
peak = hwm_mib()
loads.append(os.getloadavg()[0])
stock, rows = 0.0, 0
for part in sorted(Path(data).iterdir())[: stock_parts or None]:
    frame = pq.read_table(part).to_pandas()
    matrix = xgb.DMatrix(model.encoder.transform(frame), nthread=threads)
    del frame
    start = time.perf_counter()
    model.booster.predict(matrix, pred_contribs=True)
    stock += time.perf_counter() - start
    rows += matrix.num_row()
    del matrix
loads.append(os.getloadavg()[0])
print(counts.rows, counts.invalid, job, base, peak, rows, stock, *loads)
"""


def write_parts(folder: Path, rows: int) -> None:
    """``rows`` generated applications, one 500,000-row part at a time (bounded memory)."""
    folder.mkdir()
    for i, start in enumerate(range(0, rows, PART_ROWS)):
        part = generate_applications(min(PART_ROWS, rows - start), seed=100 + i)
        part.to_parquet(folder / f"part-{i:05d}.parquet", index=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--threads", type=int, default=0, help="0: every core")
    parser.add_argument(
        "--stock-parts", type=int, default=0, help="time stock on the first K parts (0: all)"
    )
    args = parser.parse_args()
    threads = args.threads or len(__import__("os").sched_getaffinity(0))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        trained = train_model(
            generate_applications(50_000, seed=1),
            schema=INDONESIAN_SCHEMA,
            config=TrainConfig(folds=0, n_threads=threads),
        )
        saved = save_artifact(trained, root=root, label="bench", data_sha256="0" * 64)
        write_parts(root / "book", args.rows)
        result = subprocess.run(
            [
                sys.executable,
                "-c",
                CHILD,
                str(ROOT),
                str(saved.path),
                saved.sha256,
                str(root / "book"),
                str(root / "scores.parquet"),
                str(threads),
                str(args.stock_parts),
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
    rows, invalid, job, base, peak, stock_rows, stock, *loads = map(float, result)
    job_rate, stock_rate = rows / job, stock_rows / stock
    print(f"{rows:,.0f} rows ({invalid:,.0f} invalid), {threads} threads")
    print(f"whole job: {job:,.1f} s = {job_rate:,.0f} explained rows/s")
    print(
        f"stock pred_contribs: {stock_rows:,.0f} rows in {stock:,.1f} s = {stock_rate:,.0f} rows/s"
    )
    print(f"ratio job/stock: {job_rate / stock_rate:.2f}")
    print(f"peak RSS {peak:,.0f} MiB (after loading the model: {base:,.0f} MiB)")
    print(
        "load average (1 min) before the job, after it, after stock: "
        + ", ".join(f"{x:.2f}" for x in loads)
    )


if __name__ == "__main__":
    main()
