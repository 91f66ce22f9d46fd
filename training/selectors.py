"""Reads from the model registry."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from credit_ml.schema import INDONESIAN_SCHEMA, ApplicationSchema
from credit_ml.spec import DatasetSpec
from training.models import ModelAlias, ModelVersion


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
