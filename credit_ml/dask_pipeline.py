"""Training on a Dask cluster from Parquet that the workers read.

The training process never holds the training data. It reads only the Parquet footers
(row counts and, for a lender's spec, the column names); every step that touches rows
runs per partition on the workers (one partition per Parquet part, a file or a folder's
``.parquet`` parts in name order), with the functions the single-machine path uses:

1. ``load_part``: the part read and typed (``read_dataset``; with a spec
   ``read_lender_file`` and ``prepare_frame``), its target and weights checked
   (``target_labels``, ``row_weights``), its rows assigned to the holdout or a CV fold
   (``split_assignments``).
2. ``part_counts``: rows, labels, missing values (``missing_counts``) and categories
   (``category_counts``) per holdout/fold group, reduced in this process. A partition's
   refusal surfaces here as the local path's ``TrainingDataError``/``DatasetError``: the
   first partition's in file order, rows named by their position in the whole input (the
   counts a message gives are that partition's). The checks of the whole data (rows, both
   classes, class sizes, some weight) run on the reduced counts.
3. Each encoder from the category counts of its own training rows only
   (``encoder_from_counts``): the final model's from every fold group, a CV fold's from
   the other folds'.
4. ``encode_part``: each partition's rows encoded on its worker (``encode_rows``) into
   Dask arrays of known lengths, fitted by ``DaskFit.fit_arrays`` (``xgboost.dask``).
5. The validation fold's and the holdout's PDs predicted on the cluster
   (``xgboost.dask.inplace_predict``); gathered to this process: their labels and PDs,
   the holdout rows' positions and protected fields (fairness), and a uniform sample of
   at most ``BASELINE_ROWS`` holdout rows (importance on its first ``IMPORTANCE_ROWS``,
   and the monitoring baseline's field bins, ``holdout_sample_baseline``). Metrics,
   calibration, decision bands and fairness are ``credit_ml.training``'s
   (``holdout_evaluation``, ``trained_result``).

The split is not the single-machine split (``train_test_split`` and ``StratifiedKFold``
over the whole frame need all labels in one place): each partition splits its own rows,
stratified by label with a seed from ``config.seed`` and the partition's number, so the
whole split is stratified up to one row per class and partition, and deterministic for
the same parts. A distributed model is therefore its own version; on the same data its
holdout AUC is close to the local model's (a test holds it within 0.005).

Every wait on the cluster runs under ``DaskFit.watched``: a worker lost at any stage fails
the run with the same message within a bounded time.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import dask.array as da
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow.parquet as pq
from dask.delayed import delayed
from distributed import Future, wait
from xgboost import dask as dxgb

from credit_ml import evaluation
from credit_ml.dask_training import READABLE, DaskFit
from credit_ml.datasets import (
    missing_counts,
    parquet_parts,
    read_dataset,
    shares_of_rows,
)
from credit_ml.preprocessing import (
    CategoryCounts,
    Encoder,
    Matrix,
    add_counts,
    category_counts,
    encoder_from_counts,
)
from credit_ml.schema import ApplicationSchema
from credit_ml.spec import (
    DatasetSpec,
    check_header,
    check_min_rows,
    check_target_classes,
    prepare_frame,
    read_lender_file,
)
from credit_ml.training import (
    IMPORTANCE_ROWS,
    Fitted,
    Progress,
    Sizes,
    TrainConfig,
    TrainingDataError,
    TrainingResult,
    check_both_classes,
    check_class_sizes,
    check_some_weight,
    check_split_sizes,
    encode_rows,
    holdout_evaluation,
    row_weights,
    target_labels,
    trained_result,
)

#: The group of holdout rows in ``split_assignments``; training rows carry their CV fold
#: (0 to ``folds - 1``; all 0 without CV).
HOLDOUT = -1
#: At most this many holdout rows are gathered for importance and the baseline.
BASELINE_ROWS = 20_000


# ---- the input -----------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """Parquet parts the workers read, each part's first row's position in the whole
    input, and how its rows are typed: the built-in ``schema``, or a lender's ``spec``."""

    files: tuple[str, ...]
    offsets: tuple[int, ...]
    rows: int
    schema: ApplicationSchema
    spec: DatasetSpec | None = None


def parquet_source(path: Path, *, schema: ApplicationSchema, spec: DatasetSpec | None) -> Source:
    """The parts of ``path`` and their row counts, from the Parquet footers only; with a
    spec, each part's columns checked (``check_header``) and the rows counted against
    ``spec.min_rows``. Raises ``TrainingDataError``."""
    files = parquet_parts(path)
    if not files:
        raise TrainingDataError(f"Training data not found: {path}")
    offsets, total = [], 0
    for part in files:
        try:
            footer = pq.ParquetFile(part)
        except Exception as exc:  # pyarrow and the OS raise many unrelated types
            raise TrainingDataError(f"{part.name}: cannot be read: {exc}") from exc
        if spec is not None:
            check_header(_columns(footer), spec, part.name)
        offsets.append(total)
        total += footer.metadata.num_rows
    if spec is not None:
        check_min_rows(total, spec, path.name)
    return Source(tuple(map(str, files)), tuple(offsets), total, schema, spec)


def _columns(footer: pq.ParquetFile) -> list[str]:
    """The frame's columns, as ``pandas.read_parquet`` gives them (no stored index)."""
    names: list[str] = footer.schema_arrow.names
    return [name for name in names if not name.startswith("__index_level_")]


# ---- on the workers ------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """One partition, prepared on its worker: the typed rows, 0/1 labels, weights, each
    row's group (``HOLDOUT`` or its fold) and its first row's position in the input; or
    the refusal that stopped its preparation."""

    frame: pd.DataFrame
    y: npt.NDArray[np.int8]
    weights: npt.NDArray[np.float32] | None
    assign: npt.NDArray[np.int8]
    first_row: int
    error: Exception | None = None

    def rows(self, groups: Sequence[int]) -> npt.NDArray[np.intp]:
        """Positions in the partition of the rows in ``groups``, ascending."""
        return np.flatnonzero(np.isin(self.assign, groups))


def load_part(source: Source, index: int, config: TrainConfig) -> Part:
    """Read and prepare partition ``index`` of ``source`` (on a worker)."""
    first_row = source.offsets[index]
    try:
        frame = _read_part(Path(source.files[index]), source, first_row)
        y = target_labels(frame, source.schema)
        weights = row_weights(frame, source.schema)
    except READABLE as exc:
        empty = np.zeros(0, np.int8)
        return Part(pd.DataFrame(), empty, None, empty, first_row, error=exc)
    return Part(frame, y, weights, split_assignments(y, config, index), first_row)


def _read_part(path: Path, source: Source, first_row: int) -> pd.DataFrame:
    if source.spec is None:
        return read_dataset(path, schema=source.schema)
    return prepare_frame(read_lender_file(path), source.spec, first_row=first_row, whole=False)


def split_assignments(
    y: npt.NDArray[np.int8], config: TrainConfig, partition: int
) -> npt.NDArray[np.int8]:
    """Each row's group: ``HOLDOUT`` or its CV fold (0 without CV).

    Per label, the rows are shuffled with a generator seeded by ``config.seed`` and
    ``partition``; the first ``round(test_size * n)`` go to the holdout, the rest to the
    folds in turn (starting at fold ``partition``, so rounding spreads over the folds).
    """
    rng = np.random.default_rng([abs(config.seed), partition])
    folds = max(config.folds, 1)
    assign = np.empty(y.size, dtype=np.int8)
    for label in (0, 1):
        rows = rng.permutation(np.flatnonzero(y == label))
        n_test = round(rows.size * config.test_size)
        assign[rows[:n_test]] = HOLDOUT
        assign[rows[n_test:]] = (np.arange(rows.size - n_test) + partition) % folds
    return assign


@dataclass(frozen=True)
class PartCounts:
    """What the driver reduces over partitions: rows, goods and defaults per group,
    category counts per group, missing values per field, the weights' sum, the frame's
    columns, the refusal."""

    rows: int
    labels: dict[int, tuple[int, int]] = field(default_factory=dict)
    categories: dict[int, CategoryCounts] = field(default_factory=dict)
    missing: dict[str, int] = field(default_factory=dict)
    weight: float = 0.0
    columns: tuple[str, ...] = ()
    error: Exception | None = None


def part_counts(part: Part, schema: ApplicationSchema, groups: Sequence[int]) -> PartCounts:
    """The counts of one partition (on its worker)."""
    if part.error is not None:
        return PartCounts(0, error=part.error)
    labels, categories = {}, {}
    for group in groups:
        rows = part.rows([group])
        goods, defaults = np.bincount(part.y[rows], minlength=2).tolist()
        labels[group] = (goods, defaults)
        categories[group] = category_counts(part.frame.take(rows), schema=schema)
    return PartCounts(
        rows=len(part.frame),
        labels=labels,
        categories=categories,
        missing=missing_counts(part.frame, schema),
        weight=0.0 if part.weights is None else float(part.weights.sum(dtype=np.float64)),
        columns=tuple(map(str, part.frame.columns)),
    )


def encode_part(part: Part, encoder: Encoder, groups: Sequence[int]) -> Matrix:
    """The partition's rows in ``groups``, encoded (on its worker)."""
    return encode_rows(encoder, part.frame.take(part.rows(groups)))


def part_labels(part: Part, groups: Sequence[int]) -> npt.NDArray[np.float32]:
    """The 0/1 labels of the partition's rows in ``groups`` (on its worker)."""
    labels: npt.NDArray[np.float32] = part.y[part.rows(groups)].astype(np.float32)
    return labels


def part_weights(part: Part, groups: Sequence[int]) -> npt.NDArray[np.float32]:
    """The weights of the partition's rows in ``groups`` (on its worker; schema with a
    weight column only)."""
    assert part.weights is not None
    return part.weights[part.rows(groups)]


@dataclass(frozen=True)
class HoldoutPart:
    """A partition's holdout rows: labels, positions in the input, protected fields, and
    the sampled rows (every column)."""

    y: npt.NDArray[np.int8]
    positions: npt.NDArray[np.intp]
    protected: pd.DataFrame
    sample: pd.DataFrame


def holdout_part(part: Part, protected: Sequence[str], quota: int, seed: int) -> HoldoutPart:
    """The partition's holdout rows, ``quota`` of them sampled uniformly (on its worker)."""
    rows = part.rows([HOLDOUT])
    if quota < rows.size:
        chosen = np.sort(np.random.default_rng(seed).choice(rows, quota, replace=False))
    else:
        chosen = rows
    return HoldoutPart(
        y=part.y[rows],
        positions=(part.first_row + rows).astype(np.intp),
        protected=part.frame[list(protected)].take(rows).reset_index(drop=True),
        sample=part.frame.take(chosen).reset_index(drop=True),
    )


# ---- in the training process ---------------------------------------------------------


@dataclass(frozen=True)
class ClusterTraining:
    """A model trained on the cluster: the result, the holdout sample for the monitoring
    baseline (``holdout_sample_baseline``), the missing shares over all rows, and the
    number of input partitions."""

    result: TrainingResult
    sample: pd.DataFrame
    missing_share: dict[str, float]
    partitions: int


@dataclass
class _Run:
    """One training on the cluster: the prepared partitions (futures held on the workers
    until the run ends), their counts, and the holdout/fold groups."""

    fit: DaskFit
    source: Source
    config: TrainConfig
    parts: list[Future[Any]]
    counts: list[PartCounts]
    groups: tuple[int, ...]

    @property
    def schema(self) -> ApplicationSchema:
        return self.source.schema

    def submit(self, func: Any, *args: Any) -> list[Future[Any]]:
        """``func(part, *args)`` on each partition's worker."""
        return [self.fit.client.submit(func, part, *args) for part in self.parts]

    def settled(self, futures: list[Future[Any]]) -> list[Future[Any]]:
        """``futures``, once all are done (watched); the first error in partition order
        raised as the local path would."""
        self.fit.watched(lambda: wait(futures))
        for future in futures:
            if future.status == "error":
                error = future.exception()
                raise self.fit.failure(self.fit.workers, error) from error
        return futures

    def gathered(self, futures: list[Future[Any]]) -> list[Any]:
        settled = self.settled(futures)
        return list(self.fit.watched(lambda: self.fit.client.gather(settled)))

    def lengths(self, groups: Sequence[int]) -> list[int]:
        return [sum(sum(c.labels[g]) for g in groups) for c in self.counts]

    def encoder(self, groups: Sequence[int]) -> Encoder:
        counts = add_counts(*(c.categories[g] for c in self.counts for g in groups))
        return encoder_from_counts(
            counts,
            schema=self.schema,
            feature_config=self.config.feature_config,
            min_frequency=self.config.min_category_frequency,
        )

    def encoded(self, encoder: Encoder, groups: Sequence[int]) -> da.Array:
        blocks = self.settled(self.submit(encode_part, encoder, tuple(groups)))
        width = len(encoder.columns)
        shapes = [(n, width) for n in self.lengths(groups)]
        return _stacked(blocks, shapes, np.float32)

    def vector(self, func: Any, groups: Sequence[int]) -> da.Array:
        blocks = self.settled(self.submit(func, tuple(groups)))
        return _stacked(blocks, [(n,) for n in self.lengths(groups)], np.float32)

    def fitted(self, groups: Sequence[int]) -> tuple[Encoder, Any, tuple[int, ...]]:
        """Encoder and booster fitted on the rows in ``groups`` only; the constraints."""
        encoder = self.encoder(groups)
        monotone = encoder.monotone_constraints(self.schema) if self.config.use_monotone else ()
        weight = self.vector(part_weights, groups) if self.schema.weight is not None else None
        booster = self.fit.fit_arrays(
            self.encoded(encoder, groups),
            self.vector(part_labels, groups),
            weight,
            config=self.config,
            monotone=monotone,
        )
        return encoder, booster, monotone

    def predicted(self, booster: Any, encoder: Encoder, groups: Sequence[int]) -> np.ndarray:
        """PDs of the rows in ``groups``, in input order, predicted on the cluster."""
        x = self.encoded(encoder, groups)
        client = self.fit.client
        pds = self.fit.watched(
            lambda: client.compute(dxgb.inplace_predict(client, booster, x)).result()
        )
        values: npt.NDArray[np.float64] = np.asarray(pds, dtype=np.float32).astype(np.float64)
        return values


def _stacked(blocks: list[Future[Any]], shapes: Sequence[tuple[int, ...]], dtype: Any) -> da.Array:
    arrays = [
        da.from_delayed(delayed(block), shape=shape, dtype=dtype)
        for block, shape in zip(blocks, shapes, strict=True)
        if shape[0] > 0
    ]
    stacked: da.Array = da.concatenate(arrays, axis=0)
    return stacked


def train_on_cluster(
    fit: DaskFit,
    source: Source,
    *,
    config: TrainConfig,
    progress: Progress,
) -> ClusterTraining:
    """Train and evaluate one model on ``source``, its rows read and kept by the workers
    of ``fit.client`` (see the module docstring); raises the local path's
    ``TrainingDataError``/``DatasetError`` for unusable data, ``DaskTrainingFailed`` when
    the cluster fails."""
    laps: dict[str, float] = {}
    started = time.perf_counter()
    progress("validating data", 0.0)
    groups = (HOLDOUT, *range(max(config.folds, 1)))
    client = fit.client
    parts = [
        client.submit(load_part, source, i, config, pure=False) for i in range(len(source.files))
    ]
    run = _Run(fit, source, config, parts, [], groups)
    run.counts = run.gathered(run.submit(part_counts, source.schema, groups))
    _check_counts(run.counts, source, config)
    laps["prepare"] = time.perf_counter() - started
    cv_aucs = [_fold_auc(run, fold, progress) for fold in range(config.folds)]
    laps["cross_validation"] = time.perf_counter() - started - sum(laps.values())
    progress("training final model", round(0.9 * config.folds / (config.folds + 1), 4))
    training = tuple(range(max(config.folds, 1)))
    encoder, booster, monotone = run.fitted(training)
    laps["final_fit"] = time.perf_counter() - started - sum(laps.values())
    progress("evaluating on the holdout", 0.95)
    fitted = Fitted(encoder, booster, monotone, config, source.schema)
    result, sample = _evaluated(run, fitted, cv_aucs)
    laps["evaluate"] = time.perf_counter() - started - sum(laps.values())
    progress("done", 1.0)
    missing = add_missing(c.missing for c in run.counts)
    return ClusterTraining(
        result=replace(result, timings=laps),
        sample=sample,
        missing_share=shares_of_rows(missing, result.n_rows),
        partitions=len(source.files),
    )


def _check_counts(counts: list[PartCounts], source: Source, config: TrainConfig) -> None:
    """The first partition's refusal, then the checks of the whole data, in the local
    path's order."""
    for part in counts:
        if part.error is not None:
            raise part.error
    if sum(c.rows for c in counts) == 0:
        raise TrainingDataError("The training data has no rows.")
    schema = source.schema
    test = _labels(counts, [HOLDOUT])
    train = _labels(counts, [g for g in counts[0].labels if g != HOLDOUT])
    total = test + train
    if source.spec is not None:
        check_target_classes(total, source.spec)
    else:
        check_both_classes(total, schema.target)
    if schema.weight is not None:
        check_some_weight(sum(c.weight for c in counts), schema)
    check_class_sizes(total, config)
    check_split_sizes(train, test, config)


def _labels(counts: list[PartCounts], groups: Sequence[int]) -> npt.NDArray[np.intp]:
    """Goods and defaults in ``groups`` over all partitions."""
    total = np.zeros(2, dtype=np.intp)
    for part in counts:
        for group in groups:
            total += np.asarray(part.labels[group], dtype=np.intp)
    return total


def add_missing(parts: Any) -> dict[str, int]:
    """Missing counts per field, summed over partitions (field order kept)."""
    total: dict[str, int] = {}
    for part in parts:
        for name, count in part.items():
            total[name] = total.get(name, 0) + count
    return total


def _fold_auc(run: _Run, fold: int, progress: Progress) -> float:
    """The AUC of fold ``fold``: fitted on the other folds (encoder included), validated
    on this one."""
    folds = run.config.folds
    progress(f"cross-validation fold {fold + 1}/{folds}", round(0.9 * fold / (folds + 1), 4))
    encoder, booster, _ = run.fitted([g for g in range(folds) if g != fold])
    pds = run.predicted(booster, encoder, [fold])
    y = np.concatenate(run.gathered(run.submit(part_labels, (fold,))))
    return evaluation.binary_metrics(y.astype(np.int8), pds)["auc"]


def _evaluated(
    run: _Run, fitted: Fitted, cv_aucs: list[float]
) -> tuple[TrainingResult, pd.DataFrame]:
    """The holdout's evaluation and the sample of its rows."""
    pds = run.predicted(fitted.booster, fitted.encoder, [HOLDOUT])
    sizes = run.lengths([HOLDOUT])
    n_test = sum(sizes)
    columns = {name for c in run.counts for name in c.columns}
    protected = [name for name in run.schema.protected_fields if name in columns]
    quotas = [min(n, math.ceil(BASELINE_ROWS * n / n_test)) for n in sizes]
    futures = [
        run.fit.client.submit(holdout_part, part, protected, quota, run.config.seed + i)
        for i, (part, quota) in enumerate(zip(run.parts, quotas, strict=True))
    ]
    parts: list[HoldoutPart] = run.gathered(futures)
    y = np.concatenate([p.y for p in parts]).astype(np.int8)
    sample = pd.concat([p.sample for p in parts], ignore_index=True)
    x_first = encode_rows(fitted.encoder, sample.iloc[:IMPORTANCE_ROWS])
    holdout = holdout_evaluation(fitted.encoder, fitted.booster, y, pds, x_first, run.config)
    rows = sum(c.rows for c in run.counts)
    defaults = int(_labels(run.counts, run.groups)[1])
    result = trained_result(
        fitted,
        holdout,
        pd.concat([p.protected for p in parts], ignore_index=True),
        cv_aucs,
        Sizes(rows, rows - n_test, n_test, defaults / rows),
        test_index=np.concatenate([p.positions for p in parts]),
    )
    return result, sample
