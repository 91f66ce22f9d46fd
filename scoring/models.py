"""Loan-system clients, the rule sets they are scored under, and idempotency records."""

from __future__ import annotations

from typing import Any

from django.db import models
from rest_framework_api_key.models import AbstractAPIKey


class RuleSet(models.Model):
    """A versioned regulatory rule set, stored as data (``credit_ml.policy.RuleSet.to_dict``).

    A version is never edited once a decision used it: a change is a new version.
    """

    name = models.CharField(max_length=40)  # "fintech", "bank", or a lender's own
    version = models.CharField(max_length=60, unique=True)
    definition = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "-created_at"]

    def __str__(self) -> str:
        return self.version


class ApiClient(AbstractAPIKey):
    """One loan system's API key: stored hashed (SHA-512), revocable, optionally expiring."""

    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="clients")

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "API client"
        verbose_name_plural = "API clients"
        permissions = [("score_applications", "Can score loan applications")]


class IdempotencyRecord(models.Model):
    """The first response to an ``Idempotency-Key``: replayed for the same body, 409 otherwise.

    The key itself is stored only as a keyed digest; the stored response carries no identity
    fields (the echoed ``application_id`` is put back from the replayed request).
    """

    owner = models.CharField(max_length=80)  # "client:<prefix>" or "user:<id>"
    key_digest = models.CharField(max_length=64)
    body_sha256 = models.CharField(max_length=64)
    endpoint = models.CharField(max_length=20)
    status_code = models.PositiveSmallIntegerField()
    response: models.JSONField[Any] = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "key_digest"], name="idempotency_once_per_owner"
            )
        ]

    def __str__(self) -> str:
        return f"{self.owner} {self.endpoint} {self.created_at:%Y-%m-%d %H:%M}"
