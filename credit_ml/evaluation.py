"""Discrimination and calibration metrics of predicted PDs against observed defaults.

``y_true`` holds 1 for a default (bad) and 0 for a good; ``pd`` the predicted probability
of default. Higher PD must mean riskier.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.metrics import roc_auc_score, roc_curve

#: PDs are clipped to [EPS, 1 - EPS] for the log loss, so that a confident miss is finite.
LOG_LOSS_EPS = 1e-15

FloatArray = npt.NDArray[np.float64]


def _arrays(y_true: npt.ArrayLike, pd: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    y = np.asarray(y_true, dtype=np.float64).ravel()
    p = np.asarray(pd, dtype=np.float64).ravel()
    if y.shape != p.shape or y.size == 0:
        raise ValueError("y_true and pd must be non-empty and of equal length.")
    if not np.all((y == 0) | (y == 1)):
        raise ValueError("y_true must hold only 0 and 1.")
    if not np.all((p >= 0) & (p <= 1)):
        raise ValueError("pd must lie in [0, 1].")
    return y, p


def ks_statistic(y_true: npt.ArrayLike, pd: npt.ArrayLike) -> float:
    """Kolmogorov-Smirnov: max over thresholds of |F_bad(t) - F_good(t)|, in [0, 1]."""
    y, p = _arrays(y_true, pd)
    fpr, tpr, _ = roc_curve(y, p, drop_intermediate=False)
    return float(np.max(np.abs(tpr - fpr)))


def log_loss(y_true: npt.ArrayLike, pd: npt.ArrayLike) -> float:
    """Mean negative log-likelihood in nats, PDs clipped to ``[EPS, 1 - EPS]``."""
    y, p = _arrays(y_true, pd)
    p = np.clip(p, LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS)
    return float(-np.mean(y * np.log(p) + (1.0 - y) * np.log1p(-p)))


def binary_metrics(y_true: npt.ArrayLike, pd: npt.ArrayLike) -> dict[str, float]:
    """AUC, Gini (2 AUC - 1), KS, Brier score, log loss, default rate and n.

    Both classes must be present (AUC is undefined otherwise).
    """
    y, p = _arrays(y_true, pd)
    if y.min() == y.max():
        raise ValueError("Both defaults and goods are needed to compute AUC.")
    auc = float(roc_auc_score(y, p))
    return {
        "auc": auc,
        "gini": 2.0 * auc - 1.0,
        "ks": ks_statistic(y, p),
        "brier": float(np.mean((p - y) ** 2)),
        "log_loss": log_loss(y, p),
        "default_rate": float(y.mean()),
        "n": int(y.size),
    }


def calibration_by_decile(y_true: npt.ArrayLike, pd: npt.ArrayLike) -> list[dict[str, float]]:
    """Rows sorted by PD (stable) and cut into ten groups as equal in size as possible.

    One dict per non-empty group: ``decile`` (1 = lowest PD), ``n``, ``mean_pd``,
    ``observed_rate``. With fewer than ten rows some deciles are empty and left out.
    """
    y, p = _arrays(y_true, pd)
    order = np.argsort(p, kind="stable")
    rows = []
    for decile, group in enumerate(np.array_split(order, 10), start=1):
        if group.size:
            rows.append(
                {
                    "decile": decile,
                    "n": int(group.size),
                    "mean_pd": float(p[group].mean()),
                    "observed_rate": float(y[group].mean()),
                }
            )
    return rows


def roc_points(
    y_true: npt.ArrayLike, pd: npt.ArrayLike, *, max_points: int = 200
) -> dict[str, list[float]]:
    """The ROC curve (``fpr``, ``tpr`` from (0, 0) to (1, 1)), thinned to ``max_points``."""
    y, p = _arrays(y_true, pd)
    fpr, tpr, _ = roc_curve(y, p)
    if fpr.size > max_points:
        keep = np.unique(np.linspace(0, fpr.size - 1, max_points).round().astype(int))
        fpr, tpr = fpr[keep], tpr[keep]
    return {"fpr": fpr.tolist(), "tpr": tpr.tolist()}


def score_distribution(
    scores: npt.ArrayLike, y_true: npt.ArrayLike, *, edges: npt.ArrayLike
) -> dict[str, Any]:
    """Histogram of scores for goods and for bads over the bin ``edges``.

    Returns ``edges`` (length b + 1), ``goods`` and ``bads`` (counts, length b); the last
    bin includes its upper edge (numpy's convention).
    """
    s = np.asarray(scores, dtype=np.float64).ravel()
    y = np.asarray(y_true).ravel()
    bins = np.asarray(edges, dtype=np.float64)
    goods, _ = np.histogram(s[y == 0], bins=bins)
    bads, _ = np.histogram(s[y == 1], bins=bins)
    return {"edges": bins.tolist(), "goods": goods.tolist(), "bads": bads.tolist()}
