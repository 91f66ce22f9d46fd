"""Shadow scoring: the challenger scores beside the champion, never seen by the client.

The scoring layer loads the challenger with the champion (``registry.model_cache.serving``)
and calls ``shadow_output`` inside its transaction; the result goes to
``DecisionRecord.shadow``. It never raises: a broken challenger must not break a decision.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from credit_ml.scoring import ScoringModel, ShadowDict, shadow_dict

logger = logging.getLogger(__name__)


def shadow_output(
    *, label: str, model: ScoringModel, values: Mapping[str, Any]
) -> ShadowDict | None:
    """The challenger's PD, score, grade and model decision; None when it cannot score."""
    try:
        output = model.score_row(values)
    except Exception:  # a challenger problem must never break the champion's decision
        logger.exception("shadow scoring with %s failed", label)
        return None
    return shadow_dict(label, output)


def shadow_outputs(
    *, label: str, model: ScoringModel, values: Sequence[Mapping[str, Any]]
) -> list[ShadowDict | None]:
    """``shadow_output`` of many applications with one prediction call (batches).

    If the challenger cannot score them together, each is tried alone, so one application
    it cannot score gives None for that application only.
    """
    if not values:
        return []
    try:
        outputs = model.score_rows(values)
    except Exception:
        return [shadow_output(label=label, model=model, values=v) for v in values]
    return [shadow_dict(label, output) for output in outputs]
