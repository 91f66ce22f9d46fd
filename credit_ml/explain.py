"""Per-decision attributions (TreeSHAP) from XGBoost's native ``pred_contribs``.

XGBoost computes the same exact TreeSHAP values as ``shap.TreeExplainer`` (a test holds
them equal), much faster and without the shap package. The scoring path uses the faster
exact per-leaf tables of ``credit_ml.treeshap`` where they apply, and this otherwise. Values are in
log-odds (margin) units: for every row, the contributions plus the bias (base value) add
up to the model's margin, and a positive contribution raises the PD.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
import xgboost as xgb

from credit_ml import lgbm


def contributions(
    booster: xgb.Booster | lgb.Booster, rows: np.ndarray, *, n_threads: int = 1
) -> np.ndarray:
    """TreeSHAP values of encoded ``rows`` (n, k): float32, shape (n, k + 1).

    Column ``j < k`` is the contribution of encoded column ``j``; the last column is the
    bias (the base value, equal for every row). ``n_threads`` builds the DMatrix; the
    prediction itself runs on the booster's own ``nthread`` parameter.
    """
    if isinstance(booster, lgb.Booster):  # same layout, from LightGBM's pred_contrib
        return lgbm.contributions(booster, rows, n_threads=n_threads)
    matrix = xgb.DMatrix(np.asarray(rows, dtype=np.float32), nthread=n_threads)
    return booster.predict(matrix, pred_contribs=True)


@dataclass(frozen=True)
class _Layout:
    """Where each group's columns are: ``single`` groups have one column each, at
    ``single_columns``; every other group's columns are listed in ``blocks`` (a slice when
    they are adjacent, as an encoder lays them out)."""

    groups: tuple[str, ...]
    single: npt.NDArray[np.intp]
    single_columns: npt.NDArray[np.intp]
    blocks: tuple[tuple[int, slice | npt.NDArray[np.intp]], ...]


@lru_cache(maxsize=64)
def _layout(column_groups: tuple[str, ...]) -> _Layout:
    groups = tuple(dict.fromkeys(column_groups))
    columns: dict[str, list[int]] = {group: [] for group in groups}
    for column, group in enumerate(column_groups):
        columns[group].append(column)
    single = [i for i, group in enumerate(groups) if len(columns[group]) == 1]
    return _Layout(
        groups=groups,
        single=np.array(single, dtype=np.intp),
        single_columns=np.array([columns[groups[i]][0] for i in single], dtype=np.intp),
        blocks=tuple(
            (i, _block(columns[group])) for i, group in enumerate(groups) if len(columns[group]) > 1
        ),
    )


def _block(columns: list[int]) -> slice | npt.NDArray[np.intp]:
    first, last = columns[0], columns[-1]
    if columns == list(range(first, last + 1)):
        return slice(first, last + 1)
    return np.array(columns, dtype=np.intp)


def group_contributions(
    contribs: npt.ArrayLike, column_groups: Sequence[str]
) -> tuple[tuple[str, ...], npt.NDArray[np.float64]]:
    """Contributions summed per application field: (group names, array (n, groups)).

    ``contribs`` are rows of ``contributions``, (n, k) or (n, k + 1) with the bias last (left
    out); groups come in first-seen column order. Each sum adds its columns one after the
    other in column order, in float64, starting from 0.0 (``np.cumsum`` adds in that order;
    a matrix product or ``np.sum`` may round a one-hot field's sum differently).
    """
    values = np.asarray(contribs, dtype=np.float64)
    k = len(column_groups)
    if values.ndim != 2 or values.shape[1] not in (k, k + 1):
        raise ValueError(f"Expected an array (n, {k}) or (n, {k + 1}).")
    layout = _layout(tuple(column_groups))
    out = np.empty((values.shape[0], len(layout.groups)), dtype=np.float64)
    out[:, layout.single] = values[:, layout.single_columns]
    for group, columns in layout.blocks:
        out[:, group] = values[:, columns].cumsum(axis=1)[:, -1]
    # Adding 0.0 last gives what starting from 0.0 gives: it only turns -0.0 into 0.0.
    out += 0.0
    return layout.groups, out


def global_importance(contribs: npt.ArrayLike, column_groups: Sequence[str]) -> dict[str, float]:
    """Mean |SHAP| per field (one-hot columns summed first), sorted descending.

    Ties keep the fields' column order. Units: log-odds.
    """
    groups, grouped = group_contributions(contribs, column_groups)
    importance = np.abs(grouped).mean(axis=0) if grouped.shape[0] else np.zeros(len(groups))
    order = np.argsort(-importance, kind="stable")
    return {groups[i]: float(importance[i]) for i in order}
