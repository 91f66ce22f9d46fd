"""Bodies of the review API."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import serializers

from review.services import FINAL_DECISIONS, NOTE_MAX_CHARS


class ObjectionSerializer(serializers.Serializer[dict[str, Any]]):
    statement = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=NOTE_MAX_CHARS,
        trim_whitespace=True,
        help_text="The applicant's own words (optional). Kept only encrypted; never logged.",
    )


class ResolveSerializer(serializers.Serializer[dict[str, Any]]):
    decision = serializers.ChoiceField(choices=list(FINAL_DECISIONS))
    reason_code = serializers.CharField(max_length=40, help_text="From the reason-code catalogue.")
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=NOTE_MAX_CHARS, default=""
    )

    def validate_reason_code(self, value: str) -> str:
        if value not in settings.KREDITAX_REVIEW_REASON_CODES:
            codes = ", ".join(settings.KREDITAX_REVIEW_REASON_CODES)
            raise serializers.ValidationError(f"Must be one of {codes}.")
        return value


class CaseSerializer(serializers.Serializer[dict[str, Any]]):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=["REVIEW", "OBJECTION", "SAMPLE"])
    status = serializers.ChoiceField(choices=["OPEN", "CLAIMED", "AWAITING_APPROVAL", "RESOLVED"])
    opened_at = serializers.DateTimeField()
    deadline = serializers.DateTimeField()
    final_decision = serializers.CharField(allow_null=True)


class EventSerializer(serializers.Serializer[dict[str, Any]]):
    sequence = serializers.IntegerField()
    kind = serializers.CharField()
    at = serializers.DateTimeField()
    payload = serializers.DictField()
    actor = serializers.CharField(required=False, help_text="Signed-in people only.")
    note = serializers.CharField(required=False, allow_null=True, help_text="People only.")


class DecisionStatusSerializer(serializers.Serializer[dict[str, Any]]):
    request_id = serializers.UUIDField()
    recorded_decision = serializers.CharField()
    final_decision = serializers.CharField(help_text="The last effective event's decision.")
    decided_at = serializers.DateTimeField()
    open_case = CaseSerializer(allow_null=True)
    events = EventSerializer(many=True)


class LetterQuerySerializer(serializers.Serializer[dict[str, Any]]):
    lang = serializers.ChoiceField(choices=["id", "en"], default="id")
    format = serializers.ChoiceField(choices=["html", "pdf"], default="html")


class LetterApplicantSerializer(serializers.Serializer[dict[str, Any]]):
    applicant_name = serializers.CharField(
        max_length=200, help_text="Used for this letter only: never stored or logged."
    )
    applicant_address = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default="", help_text="Likewise."
    )


class ApproveSerializer(serializers.Serializer[dict[str, Any]]):
    approve = serializers.BooleanField(help_text="true: the override takes effect; false: refused")
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=NOTE_MAX_CHARS, default=""
    )
