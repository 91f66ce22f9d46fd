"""Champion/challenger comparison over the decisions the challenger shadowed."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from audit.models import DecisionRecord
from audit.outcomes import outcome_defaulted_by_request
from credit_ml.evaluation import binary_metrics

REJECT = "REJECT"


@dataclass(frozen=True)
class ChallengerComparison:
    """How a challenger's shadow results compare with the champion's recorded decisions,
    like with like: both models' decisions under the same rules.

    The challenger's shadow result is its model decision (PD thresholds only). A hard rule
    that failed for the champion's decision would have rejected the challenger's too, so
    those records (``rule_rejections``, per rule in ``rule_rejections_by_rule``) agree by
    construction and are reported apart; elsewhere the champion's decision is its model
    decision. ``agreement_rate``: share of records where the two decisions under the rules
    are equal. ``flips_by_grade``: disagreements per champion risk grade (never a rule
    rejection). ``model_agreement_rate``: the same over the records no rule rejected,
    model against model. PD differences are |challenger - champion|. AUCs are over the
    records with an imported outcome, None unless both defaults and goods are among them.
    Rates and PD statistics are None when there are no records (or none outside the rule
    rejections, for ``model_agreement_rate``).
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
    rule_rejections: int = 0
    rule_rejections_by_rule: dict[str, int] = field(default_factory=dict)
    model_agreement_rate: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "count": self.count,
            "agreement_rate": self.agreement_rate,
            "model_agreement_rate": self.model_agreement_rate,
            "mean_abs_pd_difference": self.mean_abs_pd_difference,
            "max_abs_pd_difference": self.max_abs_pd_difference,
            "flips_by_grade": dict(self.flips_by_grade),
            "rule_rejections": self.rule_rejections,
            "rule_rejections_by_rule": dict(self.rule_rejections_by_rule),
            "with_outcome": self.with_outcome,
            "champion_auc": self.champion_auc,
            "challenger_auc": self.challenger_auc,
        }


# The columns read per record, in this order (the request id is read where the outcome
# goes, and replaced by its default status, None without an outcome).
_DECISION, _GRADE, _PD, _SHADOW_PD, _SHADOW_DECISION, _FAILED_RULES, _DEFAULTED = range(7)


def challenger_comparison(*, label: str) -> ChallengerComparison:
    """The comparison over every decision record whose ``shadow.model_label`` is ``label``."""
    read: list[tuple[Any, ...]] = list(
        DecisionRecord.objects.filter(shadow__model_label=label)
        .values_list(
            "decision",
            "risk_grade",
            "probability_of_default",
            "shadow__probability_of_default",
            "shadow__model_decision",
            "failed_rules",
            "request_id",
        )
        .iterator(chunk_size=2000)
    )
    defaulted = outcome_defaulted_by_request([row[_DEFAULTED] for row in read])
    rows = [(*row[:_DEFAULTED], defaulted.get(row[_DEFAULTED])) for row in read]
    if not rows:
        return ChallengerComparison(label, 0, None, None, None)
    champion_pd = np.array([row[_PD] for row in rows], dtype=np.float64)
    challenger_pd = np.array([row[_SHADOW_PD] for row in rows], dtype=np.float64)
    difference = np.abs(challenger_pd - champion_pd)
    by_rules = [row for row in rows if _rule_rejection(row)]
    by_models = [row for row in rows if not _rule_rejection(row)]
    flips = [row[_GRADE] for row in by_models if row[_DECISION] != row[_SHADOW_DECISION]]
    champion_auc, challenger_auc, with_outcome = _aucs(rows)
    rules = Counter(rule for row in by_rules for rule in row[_FAILED_RULES])
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
        rule_rejections=len(by_rules),
        rule_rejections_by_rule=dict(sorted(rules.items())),
        model_agreement_rate=1.0 - len(flips) / len(by_models) if by_models else None,
    )


def _rule_rejection(row: tuple[Any, ...]) -> bool:
    """A REJECT because a hard rule failed (the model's own decision was not the cause)."""
    return row[_DECISION] == REJECT and bool(row[_FAILED_RULES])


def _aucs(rows: list[tuple[Any, ...]]) -> tuple[float | None, float | None, int]:
    """Both AUCs over the rows with an outcome (None without both classes) and their count."""
    known = [row for row in rows if row[_DEFAULTED] is not None]
    y = np.array([bool(row[_DEFAULTED]) for row in known], dtype=np.int8)
    if len(set(y.tolist())) < 2:
        return None, None, len(known)
    champion = binary_metrics(y, [row[_PD] for row in known])["auc"]
    challenger = binary_metrics(y, [row[_SHADOW_PD] for row in known])["auc"]
    return champion, challenger, len(known)
