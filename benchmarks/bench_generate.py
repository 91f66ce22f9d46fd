"""Throughput of the synthetic data generator, with the data's default rate and ceiling AUC.

Usage: ``.venv/bin/python benchmarks/bench_generate.py [--rows 1000000] [--repeats 3]``

Prints the median wall time and rows per second over the repeats, the peak resident memory
of the process (``getrusage``: it includes the interpreter and libraries, shown next to the
figure before generating), and for the first frame the default rate and the ceiling AUC,
``roc_auc_score(is_default, true_pd)``: the best AUC any model could reach on the data.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sklearn.metrics import roc_auc_score

from credit_ml.synthetic import generate_applications


def _peak_rss_mib() -> float:
    """Peak resident set size of this process in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows per run")
    parser.add_argument("--repeats", type=int, default=3, help="runs; the median is reported")
    parser.add_argument("--seed", type=int, default=42, help="seed of the first run")
    return parser.parse_args()


def main() -> None:
    args = _arguments()
    baseline = _peak_rss_mib()
    seconds: list[float] = []
    first = None
    for run in range(args.repeats):
        start = time.perf_counter()
        frame = generate_applications(args.rows, seed=args.seed + run)
        seconds.append(time.perf_counter() - start)
        if first is None:
            first = frame
        del frame
    assert first is not None
    median = statistics.median(seconds)
    auc = roc_auc_score(first["is_default"], first["true_pd"])
    print(f"rows per run        {args.rows:,}")
    print(f"runs (seconds)      {', '.join(f'{s:.2f}' for s in seconds)}")
    print(f"median time         {median:.2f} s")
    print(f"throughput          {args.rows / median:,.0f} rows/s (median of {args.repeats})")
    print(
        f"peak memory (RSS)   {_peak_rss_mib():,.0f} MiB (before generating: {baseline:,.0f} MiB)"
    )
    print(f"frame in memory     {first.memory_usage(deep=True).sum() / 2**20:,.0f} MiB")
    print(f"default rate        {first['is_default'].mean():.2%}")
    print(f"ceiling AUC         {auc:.4f} (Gini {2 * auc - 1:.4f})")


if __name__ == "__main__":
    main()
