"""Champion/challenger comparison over the decisions the challenger shadowed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db.models import OuterRef, Subquery

from audit.models import DecisionRecord
from credit_ml.evaluation import binary_metrics
from training.models import Outcome


@dataclass(frozen=True)
class ChallengerComparison:
    """How a challenger's shadow results compare with the champion's recorded decisions.

    ``agreement_rate``: share of records where the champion's recorded ``decision`` equals
    the challenger's ``model_decision``. PD differences are |challenger - champion|.
    ``flips_by_grade``: disagreements per champion risk grade. AUCs are over the records
    with an imported outcome, None unless both defaults and goods are among them. Rates
    and PD statistics are None when there are no records.
    """

    label: str
    count: int
    agreement_rate: float | None
    mean_abs_pd_difference: float | None
    max_abs_pd_difference: float | None
    flips_by_grade: dict[str, int] = field(default_factory=dict)
    with_outcome: int = 0
    champion_auc: float | None = None
    challenger_auc: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "count": self.count,
            "agreement_rate": self.agreement_rate,
            "mean_abs_pd_difference": self.mean_abs_pd_difference,
            "max_abs_pd_difference": self.max_abs_pd_difference,
            "flips_by_grade": dict(self.flips_by_grade),
            "with_outcome": self.with_outcome,
            "champion_auc": self.champion_auc,
            "challenger_auc": self.challenger_auc,
        }


def challenger_comparison(*, label: str) -> ChallengerComparison:
    """The comparison over every decision record whose ``shadow.model_label`` is ``label``."""
    outcome = Outcome.objects.filter(request_id=OuterRef("request_id")).values("defaulted")[:1]
    rows = list(
        DecisionRecord.objects.filter(shadow__model_label=label)
        .annotate(defaulted=Subquery(outcome))
        .values_list(
            "decision",
            "risk_grade",
            "probability_of_default",
            "shadow__probability_of_default",
            "shadow__model_decision",
            "defaulted",
        )
        .iterator(chunk_size=2000)
    )
    if not rows:
        return ChallengerComparison(label, 0, None, None, None)
    champion_pd = np.array([row[2] for row in rows], dtype=np.float64)
    challenger_pd = np.array([row[3] for row in rows], dtype=np.float64)
    difference = np.abs(challenger_pd - champion_pd)
    flips = [row[1] for row in rows if row[0] != row[4]]
    champion_auc, challenger_auc, with_outcome = _aucs(rows)
    return ChallengerComparison(
        label=label,
        count=len(rows),
        agreement_rate=1.0 - len(flips) / len(rows),
        mean_abs_pd_difference=float(difference.mean()),
        max_abs_pd_difference=float(difference.max()),
        flips_by_grade={grade: flips.count(grade) for grade in sorted(set(flips))},
        with_outcome=with_outcome,
        champion_auc=champion_auc,
        challenger_auc=challenger_auc,
    )


def _aucs(rows: list[tuple[Any, ...]]) -> tuple[float | None, float | None, int]:
    """Both AUCs over the rows with an outcome (None without both classes) and their count."""
    known = [row for row in rows if row[5] is not None]
    y = np.array([bool(row[5]) for row in known], dtype=np.int8)
    if len(set(y.tolist())) < 2:
        return None, None, len(known)
    champion = binary_metrics(y, [row[2] for row in known])["auc"]
    challenger = binary_metrics(y, [row[3] for row in known])["auc"]
    return champion, challenger, len(known)
