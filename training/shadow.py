"""Shadow scoring: the challenger scores beside the champion, never seen by the client.

The scoring layer loads the challenger with the champion (``scoring.model_cache.serving``)
and calls ``shadow_output`` inside its transaction; the result goes to
``DecisionRecord.shadow``. It never raises: a broken challenger must not break a decision.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from credit_ml.scoring import ScoringModel

logger = logging.getLogger(__name__)


def shadow_output(
    *, label: str, model: ScoringModel, values: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The challenger's PD, score, grade and model decision; None when it cannot score."""
    try:
        output = model.score_row(values)
    except Exception:  # a challenger problem must never break the champion's decision
        logger.exception("shadow scoring with %s failed", label)
        return None
    return {
        "model_label": label,
        "probability_of_default": output.probability_of_default,
        "credit_score": output.credit_score,
        "risk_grade": output.risk_grade,
        "model_decision": output.model_decision,
    }
