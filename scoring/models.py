"""Idempotency records of the scoring API (clients and rule sets live in ``registry``)."""

from __future__ import annotations

from typing import Any

from django.db import models


class IdempotencyRecord(models.Model):
    """The first response to an ``Idempotency-Key``: replayed for the same body, 409 otherwise.

    The key itself is stored only as a keyed digest; the stored response carries no identity
    fields (the echoed ``application_id`` is put back from the replayed request).
    """

    owner = models.CharField(max_length=80)  # "client:<prefix>" or "user:<id>"
    key_digest = models.CharField(max_length=64)
    body_sha256 = models.CharField(max_length=64)
    endpoint = models.CharField(max_length=20)
    # Only successful answers are stored (a refusal stores nothing and leaves the key free),
    # so every stored answer is a 200. The column stays so that, during a rolling deploy,
    # the previous release's workers can still write it.
    status_code = models.PositiveSmallIntegerField(default=200)
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
