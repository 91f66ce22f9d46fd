"""The decision audit trail: one append-only record per decision, with personal data masked."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from credit_ml.policy import CounterofferDict, RuleResultDict
from credit_ml.reasons import ReasonDict
from credit_ml.scaling import Outcome as Decision
from credit_ml.scoring import ShadowDict


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


#: The decision values, defined once in the ML core (``credit_ml.scaling.Outcome``).
DECISION_CHOICES = [(outcome.value, outcome.name.title()) for outcome in Decision]


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
        "registry.ApiClient",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # indexed in Meta.indexes: no LIKE index on the text key
    )
    client_name = models.CharField(max_length=80)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    model_version = models.ForeignKey(
        "registry.ModelVersion", on_delete=models.PROTECT, related_name="decisions"
    )
    model_label = models.CharField(max_length=80)
    rule_set_version = models.CharField(max_length=60)
    decision = models.CharField(max_length=10, choices=DECISION_CHOICES)
    probability_of_default = models.FloatField()
    credit_score = models.IntegerField()
    risk_grade = models.CharField(max_length=2)
    thresholds: models.JSONField[Any] = models.JSONField()
    reasons: models.JSONField[list[ReasonDict]] = models.JSONField()
    policy: models.JSONField[list[RuleResultDict]] = models.JSONField()
    failed_rules: models.JSONField[Any] = models.JSONField(default=list)
    attributions: models.JSONField[Any] = models.JSONField()
    counteroffer: models.JSONField[CounterofferDict | None] = models.JSONField(
        null=True, blank=True
    )
    shadow: models.JSONField[ShadowDict | None] = models.JSONField(null=True, blank=True)
    idempotency_key_digest = models.CharField(max_length=64, blank=True)
    application_masked: models.JSONField[Any] = models.JSONField()
    application_ref_digest = models.CharField(max_length=64, blank=True)
    nik_digest = models.CharField(max_length=64, blank=True)
    phone_digest = models.CharField(max_length=64, blank=True)
    email_digest = models.CharField(max_length=64, blank=True)
    pii_key_id = models.CharField(max_length=12)
    inputs_encrypted = models.TextField()
    inputs_key_id = models.CharField(max_length=12)
    content_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-created_at"]
        permissions = [
            ("export_decisionrecord", "Can export decision records as evidence"),
            ("replay_decisionrecord", "Can replay a decision with its recorded inputs"),
        ]
        indexes = [
            models.Index(fields=["decision", "-created_at"], name="audit_decision_created"),
            models.Index(fields=["risk_grade", "-created_at"], name="audit_grade_created"),
            models.Index(fields=["model_label", "-created_at"], name="audit_model_created"),
            models.Index(fields=["client_name", "-created_at"], name="audit_client_created"),
            # Equality look-ups only: Meta.indexes, unlike db_index=True on a text column,
            # create no extra varchar_pattern_ops (LIKE) index on PostgreSQL.
            models.Index(fields=["application_ref_digest"], name="audit_ref_digest"),
            models.Index(fields=["nik_digest"], name="audit_nik_digest"),
            models.Index(fields=["phone_digest"], name="audit_phone_digest"),
            models.Index(fields=["client"], name="audit_client_id"),
        ]

    def __str__(self) -> str:
        return str(self.request_id)


class Seal(AppendOnlyModel):
    """The fields of a checkpoint, the same for the records' chain and the events' chain."""

    sequence = models.PositiveBigIntegerField(unique=True)
    first_record_id = models.BigIntegerField()
    last_record_id = models.BigIntegerField()
    last_created_at = models.DateTimeField()
    record_count = models.PositiveIntegerField()
    records_digest = models.CharField(max_length=64)
    previous_hash = models.CharField(max_length=64, unique=True)
    checkpoint_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()

    class Meta:
        abstract = True
        ordering = ["-sequence"]


class AuditCheckpoint(Seal):
    """A seal over every record after the previous checkpoint, in ``(created_at, id)`` order.

    The range is ``(previous.last_created_at, previous.last_record_id)`` exclusive to
    ``(last_created_at, last_record_id)`` inclusive, so a deleted record (even the last one)
    still shows as a count and digest mismatch. ``records_digest`` is SHA-256 over the
    records' ``content_hash`` values, one per line, in that order; ``checkpoint_hash`` covers
    every other field including ``previous_hash``, which chains the checkpoints.
    """

    def __str__(self) -> str:
        return f"checkpoint {self.sequence}"


class AuditAccess(AppendOnlyModel):
    """Who looked at, searched, replayed or exported which decisions, when (append-only);
    and every sign-in lockout (``LOCKOUT``: the person whose name was tried, if one exists).

    ``what`` names the decisions (request ids or a filter) and, for a search, the masked form
    of the identity searched for; never a raw identity value.
    """

    class Action(models.TextChoices):
        VIEW = "VIEW"
        EXPORT = "EXPORT"
        API_VIEW = "API_VIEW"
        SEARCH = "SEARCH"
        REPLAY = "REPLAY"
        LOCKOUT = "LOCKOUT"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=10, choices=Action.choices)
    what: models.JSONField[Any] = models.JSONField()
    row_count = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "audit accesses"

    def __str__(self) -> str:
        return f"{self.action} by {self.user_id} at {self.created_at:%Y-%m-%d %H:%M}"


class Outcome(models.Model):
    """One observation of how a scored application's loan stood (appended, never replaced).

    ``request_id`` is the decision record's request id (a reference, not a copy). An
    observation gives the days past due and/or the SLIK collectibility grade (Kol 1 to 5) at
    ``months_on_book``, or (the older import format) only ``defaulted``. At the same
    months on book a later observation supersedes an earlier one; both are kept. Whether
    the loan defaulted follows the configured default definition (``audit.outcomes``).
    """

    request_id = models.UUIDField()
    defaulted = models.BooleanField(null=True, blank=True)
    days_past_due = models.PositiveIntegerField(null=True, blank=True)
    collectibility = models.PositiveSmallIntegerField(null=True, blank=True)
    months_on_book = models.PositiveSmallIntegerField(null=True, blank=True)
    observed_at = models.DateField()
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "training_outcome"  # made by training, taken over in audit 0013
        ordering = ["-observed_at", "-id"]
        indexes = [models.Index(fields=["request_id", "observed_at"], name="outcome_request")]
        constraints = [
            models.CheckConstraint(
                condition=Q(defaulted__isnull=False)
                | Q(days_past_due__isnull=False)
                | Q(collectibility__isnull=False),
                name="outcome_says_something",
            ),
            models.CheckConstraint(
                condition=Q(collectibility__isnull=True)
                | Q(collectibility__gte=1, collectibility__lte=5),
                name="outcome_kol_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        if self.collectibility is not None or self.days_past_due is not None:
            kol = f"Kol {self.collectibility}" if self.collectibility is not None else ""
            dpd = f"{self.days_past_due} DPD" if self.days_past_due is not None else ""
            return f"{self.request_id}: {' '.join(filter(None, [kol, dpd]))}"
        return f"{self.request_id}: {'default' if self.defaulted else 'good'}"


class AuditEvent(AppendOnlyModel):
    """A step taken on a recorded decision after it was made (a review case opened, claimed,
    resolved, approved or refused; an objection; a letter sent), append-only.

    Events of one decision form a chain: ``sequence`` counts from 1, and ``previous_hash`` is
    the content hash of the event before it (of the decision record itself for the first), so
    a removed, inserted or altered event breaks the chain. ``payload`` holds no personal
    data; free text that may (an officer's note, an applicant's statement) is only kept as
    ``secret_encrypted`` (Fernet, the replay inputs' keys). ``content_hash`` is the SHA-256
    of ``audit.events.event_content``; events are sealed into ``AuditEventCheckpoint``\\ s.
    """

    decision = models.ForeignKey(DecisionRecord, on_delete=models.PROTECT, related_name="events")
    sequence = models.PositiveIntegerField()
    kind = models.CharField(max_length=40)
    actor_name = models.CharField(max_length=150)
    created_at = models.DateTimeField(db_index=True)
    payload: models.JSONField[Any] = models.JSONField()
    secret_encrypted = models.TextField(blank=True)
    secret_key_id = models.CharField(max_length=12, blank=True)
    previous_hash = models.CharField(max_length=64)
    content_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["decision_id", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["decision", "sequence"], name="audit_event_one_per_place"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.sequence} of decision {self.decision_id}"


class AuditEventCheckpoint(Seal):
    """A seal over every event after the previous one, in ``(created_at, id)`` order: the
    same construction as ``AuditCheckpoint`` (see there), over ``AuditEvent`` rows."""

    def __str__(self) -> str:
        return f"event checkpoint {self.sequence}"


class PortfolioRunRecord(AppendOnlyModel):
    """A finished portfolio scoring run as the audit trail keeps it: which input file and
    which output (their SHA-256), which model version and rule set on which date, the counts
    and who started it. Scores are not decisions: no record per row, this one per run, so a
    provisioning figure can be traced to the file and model that produced it.

    ``run_id`` refers to ``portfolio.PortfolioRun`` (a reference, not a key: the audit layer
    lies below the portfolio app). ``content_hash`` is the SHA-256 of the canonical content
    (``audit.services.portfolio_run_content``).
    """

    run_id = models.PositiveBigIntegerField(db_index=True)
    status = models.CharField(max_length=10)
    engine = models.CharField(max_length=10)
    model_version = models.ForeignKey(
        "registry.ModelVersion", on_delete=models.PROTECT, related_name="+"
    )
    rule_set = models.ForeignKey("registry.RuleSet", on_delete=models.PROTECT, related_name="+")
    as_of = models.DateField()
    input_path = models.TextField()
    input_sha256 = models.CharField(max_length=64)
    output_path = models.TextField()
    # Empty when the run wrote no output (failed or cancelled).
    output_sha256 = models.CharField(max_length=64, blank=True)
    rows = models.PositiveBigIntegerField()
    scored = models.PositiveBigIntegerField()
    invalid = models.PositiveBigIntegerField()
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(null=True)
    finished_at = models.DateTimeField()
    created_at = models.DateTimeField(db_index=True)
    content_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"portfolio run {self.run_id} ({self.status})"
