"""Reads for the scoring app: rule sets and model cards."""

from __future__ import annotations

import logging
from typing import Any

from django.db import connection

from credit_ml.artifacts import ArtifactError
from credit_ml.schema import ValidationFailed, validate_record
from credit_ml.scoring import ModelManifest, ScoringModel
from credit_ml.spec import DatasetSpec
from credit_ml.spec import example_application as spec_example
from registry import model_cache
from registry.models import ModelVersion
from registry.selectors import model_version_manifest
from scoring.examples import EXAMPLE_APPLICATION

logger = logging.getLogger(__name__)


def readiness() -> dict[str, str]:
    """Component to problem (empty when ready): the database, and a champion that loads and
    scores the example application of its own schema (validated as a request would be)."""
    problems: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return {"database": "unreachable"}
    try:
        loaded = model_cache.champion()
    except model_cache.NoChampion:
        problems["champion"] = "no champion model is registered"
    except Exception:
        problems["champion"] = "the champion model could not be loaded"
    else:
        problem = _example_problem(loaded.model)
        if problem:
            problems["champion"] = problem
    return problems


def _example_application(*, model: ScoringModel) -> dict[str, Any]:
    """The example application of a model's schema: the built-in example, or one derived
    from its lender's spec (``credit_ml.spec.example_application``)."""
    spec = model.manifest.dataset_spec
    return spec_example(DatasetSpec.from_dict(spec)) if spec else dict(EXAMPLE_APPLICATION)


def _example_problem(model: ScoringModel) -> str:
    """Why ``model`` cannot score its schema's example application ("" when it can)."""
    try:
        values = validate_record(model.schema, _example_application(model=model))
    except ValidationFailed as exc:
        fields = ", ".join(sorted(exc.errors))
        return f"the champion {model.label} refuses its own example application ({fields})"
    try:
        model.score_row(values)
    except Exception:
        logger.exception("readiness: the champion %s cannot score its example", model.label)
        return f"the champion {model.label} cannot score the example application of its schema"
    return ""


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
