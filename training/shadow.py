"""Shadow scoring: the challenger scores beside the champion, never seen by the client.

The scoring layer calls ``shadow_decision(values)`` inside its transaction, after the
champion's decision, and stores the result in ``DecisionRecord.shadow``. It never raises:
a broken challenger must not break a decision (the problem is logged).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from credit_ml.scoring import ScoringModel
from training.models import ModelAlias, ModelVersion
from training.services import model_version_load

logger = logging.getLogger(__name__)

_cache: dict[tuple[int, str], ScoringModel] = {}


def challenger_version() -> ModelVersion | None:
    alias = (
        ModelAlias.objects.select_related("version").filter(name=ModelAlias.Name.CHALLENGER).first()
    )
    return alias.version if alias is not None else None


def _model(version: ModelVersion) -> ScoringModel:
    """Loaded once per version and artifact hash (verified on load)."""
    key = (version.pk, version.artifact_sha256)
    if key not in _cache:
        _cache.clear()
        _cache[key] = model_version_load(version=version)
    return _cache[key]


def shadow_decision(values: Mapping[str, Any]) -> dict[str, Any] | None:
    """The challenger's PD, score, grade and model decision for cleaned ``values``.

    None when there is no READY challenger, or when the challenger cannot score these
    values (e.g. its schema differs). Plain JSON, ready for ``DecisionRecord.shadow``.
    """
    version = challenger_version()
    if version is None or version.status != ModelVersion.Status.READY:
        return None
    try:
        model = _model(version)
    except Exception:  # a challenger that cannot be loaded must never break a decision
        logger.exception("the challenger %s could not be loaded", version.label)
        return None
    return shadow_output(label=version.label, model=model, values=values)


def shadow_output(
    *, label: str, model: ScoringModel, values: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The shadow result of an already loaded challenger; None when it cannot score."""
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
