"""Reads from the registry: model versions, the champion's schema, rule sets."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from credit_ml.artifacts import ArtifactError, read_manifest, read_verified_files
from credit_ml.policy import RuleSet as PolicyRuleSet
from credit_ml.schema import INDONESIAN_SCHEMA, ApplicationSchema
from credit_ml.scoring import ModelManifest
from credit_ml.spec import DatasetSpec
from registry.errors import ModelVersionNotReady
from registry.models import ModelAlias, ModelVersion, RuleSet


def champion_version() -> ModelVersion | None:
    """The version the ``champion`` alias points at, or None before the first promotion."""
    alias = (
        ModelAlias.objects.select_related("version").filter(name=ModelAlias.Name.CHAMPION).first()
    )
    return alias.version if alias is not None else None


def model_version_list() -> QuerySet[ModelVersion]:
    """All versions, newest first, annotated with ``champion_flag`` (one query, no N+1)."""
    champion = ModelAlias.objects.filter(name=ModelAlias.Name.CHAMPION, version=OuterRef("pk"))
    return ModelVersion.objects.annotate(champion_flag=Exists(champion)).order_by(
        "-created_at", "-id"
    )


def model_version_get(*, label: str) -> ModelVersion:
    """The version with this label; raises ``ModelVersion.DoesNotExist``."""
    return model_version_list().get(label=label)


def metrics_summary(*, metrics: dict[str, Any]) -> dict[str, Any]:
    """The registry's metric names for display: the core's ``auc`` is the test-split AUC."""
    summary = {key: value for key, value in metrics.items() if key != "auc"}
    return {
        "test_auc": metrics.get("auc"),
        "cv_auc_mean": metrics.get("cv_auc_mean"),
        **summary,
    }


def model_version_spec(*, version: ModelVersion) -> DatasetSpec | None:
    """The lender's dataset spec the version was trained with, or None (built-in schema)."""
    return DatasetSpec.from_dict(version.dataset_spec) if version.dataset_spec else None


def model_version_schema(*, version: ModelVersion | None) -> ApplicationSchema:
    """The ``ApplicationSchema`` a version's applications follow (built-in if no spec)."""
    spec = model_version_spec(version=version) if version is not None else None
    return spec.schema() if spec is not None else INDONESIAN_SCHEMA


def champion_schema() -> ApplicationSchema:
    """The schema scoring must validate against: the champion's, built-in before one exists.

    For the scoring layer: ``validate_record(champion_schema(), body)`` instead of the
    built-in ``INDONESIAN_SCHEMA``, so a champion trained on a lender's spec accepts that
    lender's fields (protected and identity columns optional, never model inputs).
    """
    return model_version_schema(version=champion_version())


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


def model_version_manifest(*, version: ModelVersion) -> ModelManifest:
    """The manifest of a READY version, read after its artifact's SHA-256 is verified.

    No booster is deserialised and the model cache is untouched, so listing model cards
    never evicts the champion. Parsed once per (artifact, SHA-256): artifacts are immutable.
    Raises ``ModelVersionNotReady`` and the core's ``ArtifactError`` (integrity, format).
    """
    if version.status != ModelVersion.Status.READY:
        raise ModelVersionNotReady(f"Model version {version.label} is {version.status}.")
    try:
        return _verified_manifest(version.artifact_path, version.artifact_sha256)
    except ArtifactError as exc:
        raise type(exc)(f"Model version {version.label} refused: {exc}") from exc


@lru_cache(maxsize=64)
def _verified_manifest(path: str, sha256: str) -> ModelManifest:
    return read_manifest(read_verified_files(Path(path), expected_sha256=sha256))
