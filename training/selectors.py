"""Reads for the training app: training runs."""

from __future__ import annotations

from django.db.models import QuerySet

from training.models import TrainingRun


def training_run_list(*, status: str | None = None) -> QuerySet[TrainingRun]:
    """Runs newest first (with their version and requester), only ``status`` ones if given."""
    runs = TrainingRun.objects.select_related("model_version", "requested_by")
    if status is not None:
        runs = runs.filter(status=status)
    return runs.order_by("-created_at", "-id")
