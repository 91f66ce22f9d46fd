"""Memory of reading and training on a large file, in copies of the data frame.

Usage: ``.venv/bin/python benchmarks/bench_memory.py [--rows 1000000]``

Writes ``--rows`` generated applications as Parquet and CSV, then measures in a fresh
process each: the peak resident memory (``VmHWM``, which a new process starts afresh, unlike
``ru_maxrss``) above the process's baseline while ``read_dataset`` reads the file, and while
the product trains on it without CV (read, validate, encode, fit, evaluate). Figures are in
multiples of the resulting frame's own size (``memory_usage(deep=True)``).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from credit_ml.datasets import write_dataset  # noqa: E402 (after the path set-up)
from credit_ml.synthetic import generate_applications  # noqa: E402

CHILD = """
import sys
sys.path.insert(0, sys.argv[3])
from pathlib import Path


def hwm_mib():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1024


import credit_ml.datasets as datasets
from credit_ml.schema import INDONESIAN_SCHEMA
from credit_ml.training import TrainConfig, train_model

base = hwm_mib()
frame = datasets.read_dataset(Path(sys.argv[1]))
read_peak = hwm_mib()
size = frame.memory_usage(deep=True).sum() / 2**20
if sys.argv[2] == "train":
    train_model(frame, schema=INDONESIAN_SCHEMA, config=TrainConfig(folds=0, n_threads=2))
print(base, read_peak, hwm_mib(), size)
"""


def measure(path: Path, mode: str) -> tuple[float, float, float, float]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), mode, str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    base, read_peak, peak, size = map(float, out)
    return base, read_peak, peak, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        frame = generate_applications(args.rows, seed=2)
        paths = {ext: Path(tmp) / f"applications.{ext}" for ext in ("parquet", "csv")}
        for path in paths.values():
            write_dataset(frame, path)
        del frame
        for ext, path in paths.items():
            base, read_peak, _, size = measure(path, "read")
            print(
                f"read {ext:<7} {args.rows:,} rows: frame {size:,.0f} MiB, peak above baseline "
                f"{read_peak - base:,.0f} MiB = {(read_peak - base) / size:.2f} copies"
            )
        base, _, peak, size = measure(paths["parquet"], "train")
        print(
            f"train (no CV) on parquet: peak above baseline {peak - base:,.0f} MiB "
            f"= {(peak - base) / size:.2f} copies of the frame"
        )


if __name__ == "__main__":
    main()
