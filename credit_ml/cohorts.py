"""Realised performance of matured cohorts: discrimination, calibration by grade with a
binomial confidence interval, and vintage curves (pure numpy; no Django).

A cohort is the loans of one application month (``YYYY-MM``); ``defaulted`` is each loan's
status under the default definition (see ``credit_ml.outcomes``), for matured loans only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from credit_ml.evaluation import binary_metrics

#: z of the two-sided 95 % interval.
Z95 = 1.959963984540054


def wilson_interval(defaults: int, n: int, *, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion ``defaults / n`` (``n`` > 0)."""
    if n <= 0 or not 0 <= defaults <= n:
        raise ValueError("Need 0 <= defaults <= n and n > 0.")
    p = defaults / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Discrimination:
    """One cohort's realised figures; AUC, Gini and KS are None without both classes."""

    cohort: str
    n: int
    defaults: int
    default_rate: float
    mean_pd: float
    auc: float | None
    gini: float | None
    ks: float | None
    brier: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def discrimination(cohort: str, pds: Sequence[float], defaulted: Sequence[bool]) -> Discrimination:
    """Realised default rate, AUC, Gini, KS and Brier score of one cohort (non-empty)."""
    p = np.asarray(pds, dtype=np.float64)
    y = np.asarray(defaulted, dtype=np.int8)
    if p.size == 0:
        raise ValueError("A cohort needs at least one loan.")
    both = 0 < int(y.sum()) < y.size
    metrics = binary_metrics(y, p) if both else None
    return Discrimination(
        cohort=cohort,
        n=int(y.size),
        defaults=int(y.sum()),
        default_rate=float(y.mean()),
        mean_pd=float(p.mean()),
        auc=metrics["auc"] if metrics else None,
        gini=metrics["gini"] if metrics else None,
        ks=metrics["ks"] if metrics else None,
        brier=float(np.mean((p - y) ** 2)),
    )


def by_cohort(
    cohorts: Sequence[str], pds: Sequence[float], defaulted: Sequence[bool]
) -> list[Discrimination]:
    """``discrimination`` per cohort (sorted), then one row ``all`` over every loan."""
    rows = []
    for cohort in sorted(set(cohorts)):
        keep = [i for i, c in enumerate(cohorts) if c == cohort]
        rows.append(discrimination(cohort, [pds[i] for i in keep], [defaulted[i] for i in keep]))
    if cohorts:
        rows.append(discrimination("all", pds, defaulted))
    return rows


@dataclass(frozen=True)
class GradeCalibration:
    """Mean predicted PD against the observed default rate of one grade, with the 95 %
    Wilson interval of the observed rate; ``within`` says whether the mean PD lies in it."""

    grade: str
    n: int
    defaults: int
    mean_pd: float
    observed_rate: float
    ci_low: float
    ci_high: float
    within: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def calibration_by_grade(
    grades: Sequence[str], pds: Sequence[float], defaulted: Sequence[bool]
) -> list[GradeCalibration]:
    """One row per grade present, in grade order."""
    rows = []
    for grade in sorted(set(grades)):
        keep = [i for i, g in enumerate(grades) if g == grade]
        n, bad = len(keep), sum(bool(defaulted[i]) for i in keep)
        mean_pd = float(np.mean([pds[i] for i in keep]))
        low, high = wilson_interval(bad, n)
        rows.append(
            GradeCalibration(grade, n, bad, mean_pd, bad / n, low, high, low <= mean_pd <= high)
        )
    return rows


def vintage_curves(
    cohorts: Sequence[str], default_mobs: Sequence[int | None], *, max_mob: int
) -> dict[str, list[float]]:
    """Per cohort, the cumulative default rate at months on book 1..``max_mob``: the share
    of the cohort's observed loans whose first default came at or before that month."""
    curves: dict[str, list[float]] = {}
    months = np.arange(1, max_mob + 1)
    for cohort in sorted(set(cohorts)):
        mobs = [m for c, m in zip(cohorts, default_mobs, strict=True) if c == cohort]
        first = np.array([m for m in mobs if m is not None], dtype=np.int64)
        curves[cohort] = [float((first <= m).sum() / len(mobs)) for m in months]
    return curves


def dicts(rows: Sequence[Discrimination | GradeCalibration]) -> list[dict[str, Any]]:
    return [row.to_dict() for row in rows]


def curves_dict(curves: Mapping[str, list[float]]) -> dict[str, list[float]]:
    return {cohort: list(values) for cohort, values in curves.items()}
