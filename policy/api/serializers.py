"""Input and output shapes of the simulation endpoints."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from rest_framework import serializers

from policy.models import SimulationRun
from registry.models import ModelVersion, RuleSet


class SimulationStartSerializer(serializers.Serializer[Any]):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    client = serializers.CharField(max_length=80, required=False, allow_blank=True)
    purpose = serializers.CharField(max_length=40, required=False, allow_blank=True)
    province = serializers.CharField(max_length=40, required=False, allow_blank=True)
    rule_set = serializers.CharField(
        max_length=40, required=False, allow_blank=True, help_text="rule-set name"
    )
    version = serializers.CharField(
        max_length=60, required=False, allow_blank=True, help_text="its version (with rule_set)"
    )
    model = serializers.CharField(
        max_length=64, required=False, allow_blank=True, help_text="a READY model label"
    )
    as_of = serializers.DateField(required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if bool(attrs.get("rule_set")) != bool(attrs.get("version")):
            raise serializers.ValidationError(
                {"version": ["Give rule_set and version together, or neither."]}
            )
        return attrs


class SimulationRunSerializer(serializers.ModelSerializer[SimulationRun]):
    rule_set: serializers.SlugRelatedField[RuleSet] = serializers.SlugRelatedField(
        slug_field="version", read_only=True
    )
    model_version: serializers.SlugRelatedField[ModelVersion] = serializers.SlugRelatedField(
        slug_field="label", read_only=True
    )
    requested_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )

    class Meta:
        model = SimulationRun
        fields = [
            "id",
            "status",
            "stage",
            "progress",
            "request",
            "rule_set",
            "candidate_sha256",
            "model_version",
            "requested_by",
            "created_at",
            "finished_at",
            "error",
            "report",
        ]
        read_only_fields = fields
