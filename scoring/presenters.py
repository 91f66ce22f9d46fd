"""The JSON shapes of decisions, shared by the responses and the idempotency store."""

from __future__ import annotations

import uuid
import weakref
from datetime import datetime
from typing import Any

from django.urls import reverse
from django.utils import timezone

from credit_ml.decision import Decision
from credit_ml.scaling import DecisionThresholds
from credit_ml.scoring import ScoringModel

PD_DECIMALS = 6


def waterfall_path(request_id: uuid.UUID) -> str:
    """Where the decision's waterfall chart is served (``GET``, see ``api:waterfall``)."""
    return reverse("api:waterfall", kwargs={"request_id": request_id})


def decision_body(
    decision: Decision,
    *,
    request_id: uuid.UUID,
    application_id: str | None,
    model: ScoringModel,
    rule_set_version: str,
    scored_at: datetime | str,
) -> dict[str, Any]:
    """The response of ``/predict`` (and the common part of ``/explain`` and batch items).

    ``scored_at``: when, or that time already written by ``scored_at_text`` (a batch's
    items share it)."""
    return {
        "request_id": str(request_id),
        "application_id": application_id,
        "model_version": model.label,
        "rule_set_version": rule_set_version,
        "scored_at": scored_at if isinstance(scored_at, str) else scored_at_text(scored_at),
        "probability_of_default": round(decision.probability_of_default, PD_DECIMALS),
        "credit_score": decision.credit_score,
        "risk_grade": decision.risk_grade,
        "decision": decision.decision,
        "reasons": [reason.to_dict() for reason in decision.reasons],
        "policy": policy_body(decision),
        "counteroffer": decision.counteroffer.to_dict() if decision.counteroffer else None,
    }


def scored_at_text(scored_at: datetime) -> str:
    """A decision's time as its body shows it: local time (Asia/Jakarta by default), like
    the decision date the rules apply on."""
    return timezone.localtime(scored_at).isoformat()


def policy_body(decision: Decision) -> dict[str, Any]:
    return {
        "passed": decision.policy.passed,
        "decision_date": decision.policy.decision_date.isoformat(),
        "rules": [result.to_dict() for result in decision.policy.results],
    }


def attribution_body(decision: Decision) -> dict[str, Any]:
    """Base value and every field's contribution in log-odds, largest effect first."""
    contributions = decision.contributions
    # Sorted by (-|value|, name) as tuples built in one comprehension (no key function
    # called per item); names are unique, so the values themselves are never compared.
    ordered = sorted([(-abs(value), name, value) for name, value in contributions.items()])
    return {
        "base_value": round(decision.base_value, PD_DECIMALS),
        "margin": round(decision.margin, PD_DECIMALS),
        "contributions": {name: round(value, PD_DECIMALS) for _, name, value in ordered},
    }


_THRESHOLDS: weakref.WeakKeyDictionary[
    ScoringModel, dict[DecisionThresholds | None, dict[str, Any]]
] = weakref.WeakKeyDictionary()


def thresholds_body(
    model: ScoringModel, cut_offs: DecisionThresholds | None = None
) -> dict[str, Any]:
    """The PD cut-offs that decide (``cut_offs``, a rule set's own, or else the model
    version's), with the version's grades and scaling; built once per loaded model and
    cut-offs (every batch item's record carries them); callers must not change the dict."""
    bodies = _THRESHOLDS.get(model)
    if bodies is None:
        bodies = _THRESHOLDS[model] = {}
    body = bodies.get(cut_offs)
    if body is None:
        manifest = model.manifest
        body = bodies[cut_offs] = {
            "thresholds": (cut_offs or manifest.thresholds).to_dict(),
            "grades": manifest.grades.to_dict(),
            "scaling": manifest.scaling.to_dict(),
        }
    return body
