"""Reads for the scoring app: rule sets and model cards."""

from __future__ import annotations

import logging
from typing import Any

from django.db import connection

from credit_ml.artifacts import ArtifactError
from credit_ml.scoring import ModelManifest
from registry import model_cache
from registry.models import ModelVersion
from registry.selectors import model_version_manifest

logger = logging.getLogger(__name__)


def readiness() -> dict[str, str]:
    """Component to problem (empty when ready): the database and a loadable champion."""
    problems: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return {"database": "unreachable"}
    try:
        model_cache.champion()
    except model_cache.NoChampion:
        problems["champion"] = "no champion model is registered"
    except Exception:
        problems["champion"] = "the champion model could not be loaded"
    return problems


def model_card(*, version: ModelVersion) -> dict[str, Any]:
    """Metrics, features, thresholds and score scaling of a version: its registry row and its
    verified manifest, never its booster (listing cards must not evict the champion).

    ``version`` should come from ``model_version_list`` (annotated with the champion flag).
    """
    card: dict[str, Any] = {
        "label": version.label,
        "algorithm": version.algorithm,
        "status": version.status,
        "is_champion": version.is_champion,
        "created_at": version.created_at.isoformat(),
        "data_fingerprint": version.data_fingerprint,
        "data_rows": version.data_rows,
        "metrics": version.metrics,
    }
    if version.status == ModelVersion.Status.READY:
        try:
            card.update(_manifest_card(model_version_manifest(version=version)))
        except ArtifactError:
            logger.exception("model card of %s: the artifact failed verification", version)
            card["artifact_error"] = "The artifact failed verification; it cannot score."
    return card


def _manifest_card(manifest: ModelManifest) -> dict[str, Any]:
    return {
        "schema_version": manifest.schema_version,
        "features": list(manifest.columns),
        "fields": sorted(set(manifest.column_groups)),
        "importance": dict(manifest.importance),
        "thresholds": manifest.thresholds.to_dict(),
        "grades": manifest.grades.to_dict(),
        "score_scaling": manifest.scaling.to_dict(),
        "library_versions": dict(manifest.library_versions),
        "params": dict(manifest.params),
    }
