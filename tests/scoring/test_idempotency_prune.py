"""Idempotency records are forgotten after KREDITAX_IDEMPOTENCY_DAYS; decisions stay."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import DecisionRecord
from registry.models import ModelVersion
from scoring.models import IdempotencyRecord
from scoring.tasks import prune_idempotency_records

from .support import VALID


def test_old_idempotency_records_are_pruned_and_decisions_kept(
    api: APIClient, champion: ModelVersion
) -> None:
    for key in ("old", "new"):
        api.post("/api/v1/predict", VALID, format="json", HTTP_IDEMPOTENCY_KEY=key)
    old = IdempotencyRecord.objects.order_by("id").first()
    assert old is not None
    IdempotencyRecord.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=settings.KREDITAX_IDEMPOTENCY_DAYS, hours=1)
    )

    assert prune_idempotency_records() == 1

    assert not IdempotencyRecord.objects.filter(pk=old.pk).exists()
    assert IdempotencyRecord.objects.count() == 1
    assert DecisionRecord.objects.count() == 2


@pytest.mark.django_db
def test_the_prune_runs_daily_in_the_beat_schedule() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["prune-idempotency-records"]
    assert entry == {"task": "scoring.tasks.prune_idempotency_records", "schedule": 86400.0}
