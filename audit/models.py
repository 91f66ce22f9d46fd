"""The decision audit trail: one append-only record per decision, with personal data masked."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models


class AppendOnlyError(RuntimeError):
    """An existing audit row may never be changed or deleted."""


class AppendOnlyModel(models.Model):
    """Refuses to save an existing row or delete any (PostgreSQL triggers enforce it too)."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(f"{type(self).__name__} rows are append-only.")


class Decision(models.TextChoices):
    APPROVE = "APPROVE"
    REVIEW = "REVIEW"
    REJECT = "REJECT"


class DecisionRecord(AppendOnlyModel):
    """What was decided, why, by which model and rules, for whom (masked).

    ``content_hash`` is the SHA-256 of the record's canonical content (see
    ``audit.services.record_content``), so any later change is detectable.
    """

    request_id = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(db_index=True)
    decision_date = models.DateField()
    endpoint = models.CharField(max_length=20)
    client = models.ForeignKey(
        "scoring.ApiClient", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    client_name = models.CharField(max_length=80)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    model_version = models.ForeignKey(
        "training.ModelVersion", on_delete=models.PROTECT, related_name="decisions"
    )
    model_label = models.CharField(max_length=80)
    rule_set_version = models.CharField(max_length=60)
    decision = models.CharField(max_length=10, choices=Decision.choices)
    probability_of_default = models.FloatField()
    credit_score = models.IntegerField()
    risk_grade = models.CharField(max_length=2)
    thresholds: models.JSONField[Any] = models.JSONField()
    reasons: models.JSONField[Any] = models.JSONField()
    policy: models.JSONField[Any] = models.JSONField()
    failed_rules: models.JSONField[Any] = models.JSONField(default=list)
    attributions: models.JSONField[Any] = models.JSONField()
    counteroffer: models.JSONField[Any] = models.JSONField(null=True, blank=True)
    shadow: models.JSONField[Any] = models.JSONField(null=True, blank=True)
    idempotency_key_digest = models.CharField(max_length=64, blank=True)
    application_masked: models.JSONField[Any] = models.JSONField()
    application_ref_digest = models.CharField(max_length=64, blank=True, db_index=True)
    nik_digest = models.CharField(max_length=64, blank=True, db_index=True)
    phone_digest = models.CharField(max_length=64, blank=True)
    email_digest = models.CharField(max_length=64, blank=True)
    pii_key_id = models.CharField(max_length=12)
    inputs_encrypted = models.TextField()
    inputs_key_id = models.CharField(max_length=12)
    content_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("export_decisionrecord", "Can export decision records as evidence")]
        indexes = [
            models.Index(fields=["decision", "-created_at"], name="audit_decision_created"),
            models.Index(fields=["risk_grade", "-created_at"], name="audit_grade_created"),
            models.Index(fields=["model_label", "-created_at"], name="audit_model_created"),
            models.Index(fields=["client_name", "-created_at"], name="audit_client_created"),
        ]

    def __str__(self) -> str:
        return str(self.request_id)
