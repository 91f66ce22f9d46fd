"""The Dask engine's per-partition pieces, without a cluster: an encoder learnt from summed
partition counts equals ``fit_encoder`` on the whole frame, missing counts add up to
``missing_shares``, and each partition's split is stratified and deterministic."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from credit_ml.datasets import missing_counts, missing_shares, shares_of_rows
from credit_ml.features import FeatureConfig
from credit_ml.preprocessing import add_counts, category_counts, encoder_from_counts, fit_encoder
from credit_ml.schema import INDONESIAN_SCHEMA
from credit_ml.training import TrainConfig

pytest.importorskip("distributed", reason="needs dask: pip install dask[distributed]")
from credit_ml.dask_pipeline import HOLDOUT, add_missing, split_assignments


def _parts(frame: pd.DataFrame, n: int) -> list[pd.DataFrame]:
    size = -(-len(frame) // n)
    return [frame.iloc[i * size : (i + 1) * size] for i in range(n)]


@pytest.mark.parametrize("min_frequency", [1, 40])
def test_the_encoder_from_summed_partition_counts_equals_fit_encoder(
    applications: pd.DataFrame, min_frequency: int
) -> None:
    counts = add_counts(
        *(category_counts(part, schema=INDONESIAN_SCHEMA) for part in _parts(applications, 4))
    )

    combined = encoder_from_counts(
        counts,
        schema=INDONESIAN_SCHEMA,
        feature_config=FeatureConfig(),
        min_frequency=min_frequency,
    )

    whole = fit_encoder(
        applications,
        schema=INDONESIAN_SCHEMA,
        feature_config=FeatureConfig(),
        min_frequency=min_frequency,
    )
    assert combined == whole
    assert combined.columns == whole.columns


def test_rare_categories_are_dropped_by_their_total_count_not_a_partitions(
    applications: pd.DataFrame,
) -> None:
    parts = _parts(applications, 3)
    totals = category_counts(applications, schema=INDONESIAN_SCHEMA)
    summed = add_counts(*(category_counts(p, schema=INDONESIAN_SCHEMA) for p in parts))
    assert summed == totals


def test_missing_counts_of_the_partitions_give_the_whole_frames_missing_shares(
    applications: pd.DataFrame,
) -> None:
    frame = applications.copy()
    frame.loc[frame.index[::7], "monthly_expenses"] = np.nan
    counts = add_missing(missing_counts(p, INDONESIAN_SCHEMA) for p in _parts(frame, 4))

    assert shares_of_rows(counts, len(frame)) == missing_shares(frame, INDONESIAN_SCHEMA)
    assert list(counts) == list(missing_shares(frame, INDONESIAN_SCHEMA))


def test_a_partitions_split_is_stratified_deterministic_and_its_own_per_partition() -> None:
    y = np.array([1] * 100 + [0] * 900, dtype=np.int8)
    config = TrainConfig(folds=3, test_size=0.2, seed=5)

    first = split_assignments(y, config, 0)

    assert (first == split_assignments(y, config, 0)).all()
    assert not (first == split_assignments(y, config, 1)).all()
    assert not (first == split_assignments(y, TrainConfig(folds=3, seed=6), 0)).all()
    holdout = first == HOLDOUT
    assert (int(y[holdout].sum()), int(holdout.sum())) == (20, 200)
    for fold in range(3):
        rows = first == fold
        assert int(y[rows].sum()) in (26, 27)
        assert int(rows.sum()) in (266, 267)


def test_without_folds_every_training_row_is_in_group_zero() -> None:
    y = np.array([0, 1] * 50, dtype=np.int8)

    assign = split_assignments(y, TrainConfig(folds=0, test_size=0.3, seed=1), 2)

    assert sorted(set(assign.tolist())) == [HOLDOUT, 0]
    assert int((assign == HOLDOUT).sum()) == 30
