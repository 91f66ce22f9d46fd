"""Training speed against a bare XGBoost fit, and model quality against the data's ceiling.

Usage: ``.venv/bin/python benchmarks/bench_training.py [--rows 1000000] [--repeats 3]
[--quality-rows 200000] [--threads 2]``

1. Speed (the foundation issue's bar: ratio at most 1.3). On ``--rows`` generated rows
   written to Parquet, the product's training without cross-validation — read the file,
   hash it, validate, fit the encoder, encode, fit the booster, evaluate the holdout,
   compute importance, write the immutable artifact with its HTML/PNG report — against a
   bare ``xgboost.train`` (DMatrix + train) with the same parameters on the same training
   rows, already encoded. Runs alternate; the ratio is the median of the per-pair ratios.
2. Quality (bar: ``AUC_model - 0.5 >= 0.98 * (AUC(true_pd) - 0.5)``). On ``--quality-rows``
   rows, the default configuration's holdout AUC against the AUC of the generator's own
   ``true_pd`` on the same holdout rows (the best any model could reach).

Peak memory is the process's peak resident set size (``getrusage``), printed after each part.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import xgboost as xgb
from sklearn.metrics import roc_auc_score

from credit_ml.artifacts import save_artifact
from credit_ml.datasets import file_sha256, read_dataset, write_dataset
from credit_ml.schema import INDONESIAN_SCHEMA
from credit_ml.synthetic import generate_applications
from credit_ml.training import TrainConfig, TrainingResult, train_model


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _product(path: Path, config: TrainConfig, root: Path, run: int) -> tuple[float, TrainingResult]:
    """The product's pipeline end to end, as ``training.services.model_version_train`` runs it."""
    start = time.perf_counter()
    sha = file_sha256(path)
    frame = read_dataset(path)
    result = train_model(frame, schema=INDONESIAN_SCHEMA, config=config)
    save_artifact(result, root=root, label=f"bench-{run}", data_sha256=sha)
    return time.perf_counter() - start, result


def _bare(x: np.ndarray, y: np.ndarray, config: TrainConfig, monotone: tuple[int, ...]) -> float:
    """DMatrix + ``xgboost.train`` with the product's parameters, nothing else."""
    start = time.perf_counter()
    matrix = xgb.DMatrix(x, label=y, nthread=config.n_threads)
    xgb.train(config.xgb_params(monotone), matrix, num_boost_round=config.n_estimators)
    return time.perf_counter() - start


def speed(rows: int, repeats: int, threads: int) -> None:
    config = TrainConfig(folds=0, n_threads=threads)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "applications.parquet"
        write_dataset(generate_applications(rows, seed=11), path)
        pairs: list[tuple[float, float]] = []
        x_train = y_train = None
        for run in range(repeats):
            product_s, result = _product(path, config, Path(tmp) / "models", run)
            if x_train is None:
                frame = read_dataset(path)
                train_rows = np.setdiff1d(np.arange(len(frame)), result.test_index)
                x_train = result.encoder.transform(frame.iloc[train_rows])
                y_train = frame[INDONESIAN_SCHEMA.target].to_numpy()[train_rows]
                del frame
            bare_s = _bare(x_train, y_train, config, result.monotone_constraints)
            pairs.append((product_s, bare_s))
            print(f"  run {run + 1}: product {product_s:6.2f} s   bare xgboost {bare_s:6.2f} s")
    ratios = [p / b for p, b in pairs]
    print(
        f"training on {rows:,} rows, {threads} threads, "
        f"{config.n_estimators} trees, depth {config.max_depth}"
    )
    print(
        f"  product median {statistics.median(p for p, _ in pairs):.2f} s, "
        f"bare median {statistics.median(b for _, b in pairs):.2f} s"
    )
    print(
        f"  ratio product/bare: median {statistics.median(ratios):.3f} (bar: <= 1.30); "
        f"runs {', '.join(f'{r:.3f}' for r in ratios)}"
    )
    print(f"  peak RSS of the process: {_peak_rss_mib():,.0f} MiB")


def quality(rows: int, threads: int) -> None:
    frame = generate_applications(rows, seed=5)
    result = train_model(
        frame, schema=INDONESIAN_SCHEMA, config=TrainConfig(folds=0, n_threads=threads)
    )
    holdout = frame.iloc[result.test_index]
    ceiling = roc_auc_score(holdout["is_default"], holdout["true_pd"])
    model_auc = float(result.metrics["auc"])
    share = (model_auc - 0.5) / (ceiling - 0.5)
    verdict = "meets" if share >= 0.98 else "MISSES"
    print(f"quality on {rows:,} rows ({len(holdout):,} holdout rows)")
    print(f"  holdout AUC {model_auc:.4f}, ceiling AUC(true_pd) {ceiling:.4f}")
    print(f"  lift over 0.5: {share:.2%} of the ceiling's (bar: >= 98 %): {verdict} the bar")
    print(f"  peak RSS of the process: {_peak_rss_mib():,.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quality-rows", type=int, default=200_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args()
    quality(args.quality_rows, args.threads)
    if not args.skip_speed:
        speed(args.rows, args.repeats, args.threads)


if __name__ == "__main__":
    main()
