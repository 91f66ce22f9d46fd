"""Per-decision attributions (TreeSHAP) from XGBoost's native ``pred_contribs``.

XGBoost computes the same exact TreeSHAP values as ``shap.TreeExplainer`` (a test holds
them equal), much faster and without the shap package on the scoring path. Values are in
log-odds (margin) units: for every row, the contributions plus the bias (base value) add
up to the model's margin, and a positive contribution raises the PD.
"""

from __future__ import annotations

from collections.abc import Sequence

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


def group_contributions(contribs: npt.ArrayLike, column_groups: Sequence[str]) -> dict[str, float]:
    """One row's contributions summed per application field, in first-seen column order.

    ``contribs`` is one row of ``contributions``: k values, or k + 1 with the bias last
    (the bias is then left out).
    """
    values = np.asarray(contribs, dtype=np.float64).ravel()
    k = len(column_groups)
    if values.size not in (k, k + 1):
        raise ValueError(f"Expected {k} or {k + 1} contributions, got {values.size}.")
    grouped: dict[str, float] = {}
    for group, value in zip(column_groups, values[:k].tolist(), strict=True):
        grouped[group] = grouped.get(group, 0.0) + value
    return grouped


def group_contributions_many(
    contribs: npt.ArrayLike, column_groups: Sequence[str]
) -> tuple[tuple[str, ...], npt.NDArray[np.float64]]:
    """Many rows' contributions summed per group: (group names, array (n, groups)).

    Row ``i`` equals ``group_contributions(contribs[i])`` bit for bit: the columns are added
    one after the other in column order, in float64, as that function adds them (a matrix
    product, as in ``grouped_matrix``, may round the one-hot sums differently).
    """
    values = np.asarray(contribs, dtype=np.float64)
    k = len(column_groups)
    if values.ndim != 2 or values.shape[1] not in (k, k + 1):
        raise ValueError(f"Expected an array (n, {k}) or (n, {k + 1}).")
    groups = tuple(dict.fromkeys(column_groups))
    index = {group: i for i, group in enumerate(groups)}
    by_column = np.ascontiguousarray(values[:, :k].T)
    sums = np.zeros((len(groups), values.shape[0]))
    for column, group in enumerate(column_groups):
        sums[index[group]] += by_column[column]
    return groups, sums.T


def grouped_matrix(
    contribs: npt.ArrayLike, column_groups: Sequence[str]
) -> tuple[tuple[str, ...], npt.NDArray[np.float64]]:
    """Contributions of many rows summed per group: (group names, array (n, groups))."""
    values = np.asarray(contribs, dtype=np.float64)
    k = len(column_groups)
    if values.ndim != 2 or values.shape[1] not in (k, k + 1):
        raise ValueError(f"Expected an array (n, {k}) or (n, {k + 1}).")
    groups = tuple(dict.fromkeys(column_groups))
    index = {group: i for i, group in enumerate(groups)}
    membership = np.zeros((k, len(groups)))
    membership[np.arange(k), [index[group] for group in column_groups]] = 1.0
    return groups, values[:, :k] @ membership


def global_importance(contribs: npt.ArrayLike, column_groups: Sequence[str]) -> dict[str, float]:
    """Mean |SHAP| per field (one-hot columns summed first), sorted descending.

    Ties keep the fields' column order. Units: log-odds.
    """
    groups, grouped = grouped_matrix(contribs, column_groups)
    importance = np.abs(grouped).mean(axis=0) if grouped.shape[0] else np.zeros(len(groups))
    order = np.argsort(-importance, kind="stable")
    return {groups[i]: float(importance[i]) for i in order}
