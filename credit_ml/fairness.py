"""Fairness per protected attribute group on the holdout.

For every protected field of the schema the holdout rows are grouped (categories as they
are, numbers in bands: the field's ``bins`` or, without them, quartiles; missing values
form the group ``missing``). Per group: ``count``, ``approval_rate`` (share decided
``APPROVE`` by the version's thresholds alone, no policy rule), ``mean_pd`` and the
disparate-impact ratio: the group's approval rate over the highest group's. A ratio
below ``DISPARATE_IMPACT_FLOOR`` (the "four-fifths rule") is ``flagged``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from credit_ml.scaling import DecisionThresholds
from credit_ml.schema import ApplicationSchema, FieldKind

DISPARATE_IMPACT_FLOOR = 0.8
MISSING = "missing"


def fairness_report(
    frame: pd.DataFrame,
    pd_values: npt.ArrayLike,
    *,
    schema: ApplicationSchema,
    thresholds: DecisionThresholds,
) -> dict[str, list[dict[str, Any]]]:
    """Rows per group of each protected field present in ``frame`` (aligned with PDs)."""
    pds = np.asarray(pd_values, dtype=np.float64)
    approved = pds < thresholds.approve_below
    return {
        name: group_rows(groups, approved=approved, pds=pds)
        for name, groups in protected_groups(frame, schema=schema).items()
    }


def protected_groups(frame: pd.DataFrame, *, schema: ApplicationSchema) -> dict[str, list[str]]:
    """Each row's group per protected field present in ``frame`` (categories as they are,
    numbers in the field's bands or quartiles, ``missing`` for gaps)."""
    groups: dict[str, list[str]] = {}
    for name in schema.protected_fields:
        if name not in frame.columns:
            continue
        spec = schema.field(name)
        numeric = spec.kind is FieldKind.NUMERIC
        groups[name] = _bands(frame[name], spec.bins) if numeric else _categories(frame[name])
    return groups


def group_rows(
    groups: Sequence[str], *, approved: npt.NDArray[np.bool_], pds: npt.NDArray[np.float64]
) -> list[dict[str, Any]]:
    """Count, approval rate, mean PD and disparate impact per group, in group order."""
    table = pd.DataFrame({"group": list(groups), "approved": approved, "pd": pds})
    summary = table.groupby("group", sort=True).agg(
        count=("pd", "size"), approval_rate=("approved", "mean"), mean_pd=("pd", "mean")
    )
    best = float(summary["approval_rate"].max())
    rows = []
    for group, row in summary.iterrows():
        ratio = float(row["approval_rate"]) / best if best > 0 else None
        rows.append(
            {
                "group": str(group),
                "count": int(row["count"]),
                "approval_rate": float(row["approval_rate"]),
                "mean_pd": float(row["mean_pd"]),
                "disparate_impact": ratio,
                "flagged": ratio is not None and ratio < DISPARATE_IMPACT_FLOOR,
            }
        )
    return rows


def _categories(column: pd.Series) -> list[str]:
    return [MISSING if pd.isna(value) else str(value) for value in column]


def _bands(column: pd.Series, bins: Sequence[float]) -> list[str]:
    """``[lo, hi)`` bands named ``"25-34"``-style for whole numbers, the last open."""
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64)
    edges = list(bins) or _quartile_edges(values)
    names = [_band_name(lo, hi) for lo, hi in zip(edges, [*edges[1:], None], strict=True)]
    positions = np.searchsorted(np.asarray(edges, dtype=np.float64), values, side="right") - 1
    return [
        MISSING if np.isnan(value) else names[max(int(position), 0)]
        for value, position in zip(values, positions, strict=True)
    ]


def _quartile_edges(values: npt.NDArray[np.float64]) -> list[float]:
    known = values[~np.isnan(values)]
    if known.size == 0:
        return [0.0]
    return sorted(set(np.quantile(known, [0.0, 0.25, 0.5, 0.75]).tolist()))


def _band_name(lo: float, hi: float | None) -> str:
    if hi is None:
        return f"{lo:g}+"
    if float(lo).is_integer() and float(hi).is_integer():
        return f"{lo:g}-{hi - 1:g}"
    return f"{lo:g} to <{hi:g}"
