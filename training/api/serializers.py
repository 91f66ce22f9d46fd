"""Input and output shapes of the training-run endpoints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from rest_framework import serializers

from registry.models import ENGINE_CHOICES, ModelVersion
from training.models import TrainingRun


def path_under_data_roots(value: str) -> Path:
    """A file path the server may train on: inside ``KREDITAX_DATA_DIR`` or the retrain dir.

    Web users must not make the server read arbitrary files; the command line may.
    """
    path = Path(value).resolve()
    roots = [
        Path(root).resolve()
        for root in (settings.KREDITAX_DATA_DIR, settings.KREDITAX_RETRAIN_DIR)
        if root
    ]
    if not any(path.is_relative_to(root) for root in roots):
        raise serializers.ValidationError("Must lie inside the configured data directory.")
    return path


class TrainingRunStartSerializer(serializers.Serializer[Any]):
    data_path = serializers.CharField(max_length=1000)
    algorithm = serializers.ChoiceField(
        choices=ModelVersion.Algorithm.values, default=ModelVersion.Algorithm.XGBOOST
    )
    params = serializers.DictField(child=serializers.JSONField(), default=dict)
    spec_path = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    engine = serializers.ChoiceField(
        choices=ENGINE_CHOICES,
        default="local",
        help_text=(
            "dask: train with xgboost.dask on the cluster of KREDITAX_DASK_SCHEDULER; Parquet "
            "(a file or a folder of parts) is read by the workers."
        ),
    )

    def validate_data_path(self, value: str) -> Path:
        return path_under_data_roots(value)

    def validate_spec_path(self, value: str) -> Path | None:
        return path_under_data_roots(value) if value else None


class TrainingRunSerializer(serializers.ModelSerializer[TrainingRun]):
    model_version: serializers.SlugRelatedField[ModelVersion] = serializers.SlugRelatedField(
        slug_field="label", read_only=True, allow_null=True
    )
    # Null for a scheduled retrain (no person asked) and for a run whose person was removed.
    requested_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = TrainingRun
        fields = [
            "id",
            "status",
            "stage",
            "progress",
            "algorithm",
            "engine",
            "params",
            "data_sha256",
            "requested_by",
            "created_at",
            "started_at",
            "finished_at",
            "heartbeat_at",
            "error",
            "model_version",
            "celery_task_id",
            "cancel_requested",
        ]
        read_only_fields = fields


class MakeChallengerSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=1000, help_text="Why (kept in the alias history).")


class ChallengerSerializer(serializers.Serializer[Any]):
    alias = serializers.CharField(help_text="challenger")
    model_version = serializers.CharField(help_text="the label of the version it points at")
