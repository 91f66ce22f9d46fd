"""Input and output shapes of the portfolio-run endpoints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from rest_framework import serializers

from portfolio.models import PortfolioRun


def _inside(value: str, roots: list[Path | None]) -> Path:
    """``value`` resolved, if it lies inside one of ``roots``: web users must not make the
    server read or write arbitrary paths (the command line may)."""
    path = Path(value).resolve()
    if not any(root and path.is_relative_to(Path(root).resolve()) for root in roots):
        raise serializers.ValidationError("Must lie inside the configured directory.")
    return path


class PortfolioRunStartSerializer(serializers.Serializer[Any]):
    data_path = serializers.CharField(
        max_length=1000,
        help_text="A .csv/.parquet file or a folder of parts in the data directory.",
    )
    out_path = serializers.CharField(
        max_length=1000, help_text="A new Parquet path inside the portfolio directory."
    )
    model = serializers.CharField(
        max_length=80, required=False, help_text="A model version's label; default: the champion."
    )
    rule_set = serializers.CharField(
        max_length=60, required=False, help_text="A rule set's name or version; default: fintech."
    )
    as_of = serializers.DateField(required=False, help_text="Default: today (Asia/Jakarta).")

    def validate_data_path(self, value: str) -> Path:
        return _inside(value, [settings.KREDITAX_DATA_DIR, settings.KREDITAX_RETRAIN_DIR])

    def validate_out_path(self, value: str) -> Path:
        return _inside(value, [settings.KREDITAX_PORTFOLIO_DIR])


class PortfolioRunSerializer(serializers.ModelSerializer[PortfolioRun]):
    model_version: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="label", read_only=True
    )
    rule_set: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="version", read_only=True
    )
    requested_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    seconds_left = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = PortfolioRun
        fields = [
            "id",
            "status",
            "engine",
            "model_version",
            "rule_set",
            "as_of",
            "input_sha256",
            "output_sha256",
            "rows_total",
            "rows_done",
            "rows_scored",
            "rows_invalid",
            "invalid_rows",
            "rows_per_second",
            "seconds_left",
            "cluster",
            "requested_by",
            "created_at",
            "started_at",
            "finished_at",
            "error",
            "cancel_requested",
        ]
        read_only_fields = fields
