"""Training jobs and observed outcomes. The versions they produce live in ``registry``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from registry.models import ENGINE_CHOICES, ModelVersion, RunStatus


class TrainingRun(models.Model):
    """One training job: queued, run by a Celery worker, watched through heartbeats.

    ``progress`` is 0..1 as reported by ``credit_ml.training.train_model``. A run that
    produced a version points at it (``model_version``); a retried task never makes a
    second one. ``heartbeat_at`` is refreshed while the worker lives; the reaper fails
    RUNNING runs whose heartbeat is older than ``KREDITAX_TRAINING_STALE_SECONDS``.
    """

    Status = RunStatus

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    stage = models.CharField(max_length=80, blank=True)
    progress = models.FloatField(default=0.0)
    algorithm = models.CharField(max_length=16, choices=ModelVersion.Algorithm.choices)
    # Where the boosters are fitted: this worker, or the Dask cluster of
    # KREDITAX_DASK_SCHEDULER (xgboost.dask); everything else is the same pipeline.
    engine = models.CharField(max_length=10, choices=ENGINE_CHOICES, default="local")
    params = models.JSONField(default=dict, blank=True)
    data_path = models.TextField()
    # SHA-256 of the data file when the run was queued; the worker refuses a changed file.
    data_sha256 = models.CharField(max_length=64)
    spec_path = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # A readable message for people, never a traceback.
    error = models.TextField(blank=True)
    model_version = models.ForeignKey(
        ModelVersion,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="training_runs",
    )
    celery_task_id = models.CharField(max_length=64, blank=True)
    cancel_requested = models.BooleanField(default=False)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "heartbeat_at"], name="training_run_status_hb_idx")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__gte=0) & Q(progress__lte=1),
                name="training_run_progress_0_1",
            ),
        ]

    def __str__(self) -> str:
        return f"run {self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in {
            self.Status.SUCCEEDED,
            self.Status.FAILED,
            self.Status.CANCELLED,
        }
