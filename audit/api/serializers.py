"""Query parameters and the public shape of a decision record (masked; no inputs, no digests)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from audit.models import DECISION_CHOICES, DecisionRecord
from audit.selectors import RecordFilter


class RecordFilterSerializer(serializers.Serializer[RecordFilter]):
    start = serializers.DateField(required=False)
    end = serializers.DateField(required=False)
    decision = serializers.ChoiceField(choices=DECISION_CHOICES, required=False)
    model_version = serializers.CharField(required=False, max_length=80)
    client = serializers.CharField(required=False, max_length=80)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("start") and attrs.get("end") and attrs["start"] > attrs["end"]:
            raise serializers.ValidationError({"end": ["Must not be before start."]})
        return attrs

    def record_filter(self) -> RecordFilter:
        return RecordFilter(**self.validated_data)


class ExportQuerySerializer(RecordFilterSerializer):
    format = serializers.ChoiceField(choices=["csv", "jsonl"])


class DecisionRecordSerializer(serializers.ModelSerializer[DecisionRecord]):
    model_version = serializers.CharField(source="model_label")

    class Meta:
        model = DecisionRecord
        fields = [
            "request_id",
            "created_at",
            "decision_date",
            "endpoint",
            "client_name",
            "model_version",
            "rule_set_version",
            "decision",
            "probability_of_default",
            "credit_score",
            "risk_grade",
            "failed_rules",
            "reasons",
            "content_hash",
        ]


class DecisionRecordDetailSerializer(DecisionRecordSerializer):
    class Meta(DecisionRecordSerializer.Meta):
        fields = [
            *DecisionRecordSerializer.Meta.fields,
            "thresholds",
            "policy",
            "attributions",
            "counteroffer",
            "application_masked",
        ]
