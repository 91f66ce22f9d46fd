"""Review cases: a person looks at a decision (REVIEW, an objection, a quality sample).

A case's row holds its current state for the queue (status, assignee, deadline); every step
is an event on the decision's audit chain (``audit.events``), which is the evidence. No free
text lives here: notes and statements are only in the events, encrypted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ReviewCase(models.Model):
    class Kind(models.TextChoices):
        REVIEW = "REVIEW", "Review"
        OBJECTION = "OBJECTION", "Objection"
        SAMPLE = "SAMPLE", "Quality sample"

    class Status(models.TextChoices):
        OPEN = "OPEN", "Open"
        CLAIMED = "CLAIMED", "Claimed"
        AWAITING_APPROVAL = "AWAITING_APPROVAL", "Awaiting a second officer"
        RESOLVED = "RESOLVED", "Resolved"

    decision = models.ForeignKey(
        "audit.DecisionRecord", on_delete=models.PROTECT, related_name="review_cases"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField()
    deadline = models.DateTimeField()
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    #: A resolution against the model waiting for a second officer: who proposed what.
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    proposed_decision = models.CharField(max_length=24, blank=True)
    proposed_reason_code = models.CharField(max_length=40, blank=True)
    final_decision = models.CharField(max_length=24, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["opened_at", "id"]
        permissions = [
            ("resolve_reviewcase", "Can claim and resolve review cases"),
            ("approve_reviewcase", "Can approve another officer's override"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["decision"],
                condition=~models.Q(status="RESOLVED"),
                name="review_one_open_case_per_decision",
            ),
        ]
        indexes = [models.Index(fields=["status", "opened_at"], name="review_status_opened")]

    def __str__(self) -> str:
        return f"case {self.pk} ({self.kind})"
