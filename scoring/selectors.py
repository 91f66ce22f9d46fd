"""Reads for the scoring app: rule sets and model cards."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from django.db import connection

from credit_ml.policy import RuleSet as PolicyRuleSet
from credit_ml.scoring import ModelManifest
from scoring import model_cache
from scoring.models import RuleSet
from training.models import ModelAlias, ModelVersion


def rule_set_latest(*, name: str) -> RuleSet:
    """The newest stored version of the rule set called ``name``."""
    rule_set = RuleSet.objects.filter(name=name).order_by("-created_at", "-id").first()
    if rule_set is None:
        raise RuleSet.DoesNotExist(f"No rule set named {name!r}.")
    return rule_set


def rule_set_policy(*, rule_set: RuleSet) -> PolicyRuleSet:
    """The parsed rule set; parsed once per stored version (versions are never edited)."""
    return _parsed_rule_set(
        rule_set.pk, rule_set.version, json.dumps(rule_set.definition, sort_keys=True)
    )


@lru_cache(maxsize=64)
def _parsed_rule_set(pk: int, version: str, definition: str) -> PolicyRuleSet:
    return PolicyRuleSet.from_dict(json.loads(definition))


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
    """Metrics, features, thresholds and score scaling of a version, from its verified manifest."""
    champion_id = (
        ModelAlias.objects.filter(name=ModelAlias.Name.CHAMPION)
        .values_list("version_id", flat=True)
        .first()
    )
    card: dict[str, Any] = {
        "label": version.label,
        "algorithm": version.algorithm,
        "status": version.status,
        "is_champion": version.pk == champion_id,
        "created_at": version.created_at.isoformat(),
        "data_fingerprint": version.data_fingerprint,
        "data_rows": version.data_rows,
        "metrics": version.metrics,
    }
    if version.status == ModelVersion.Status.READY:
        card.update(_manifest_card(model_cache.version_model(version).manifest))
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
