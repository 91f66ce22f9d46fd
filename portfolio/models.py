"""Portfolio scoring runs: bulk re-scoring of a file of borrowers, watched and cancellable."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from registry.models import ENGINE_CHOICES, ModelVersion, RuleSet, RunStatus


class PortfolioRun(models.Model):
    """One bulk scoring job: QUEUED → RUNNING → SUCCEEDED | FAILED | CANCELLED.

    ``input_sha256`` is taken when the run is queued (the worker refuses a changed input);
    ``output_sha256`` when the output is complete. ``rows_total`` is exact for Parquet and
    counted from the lines for CSV. ``rows_per_second`` is the whole job's rate so far.
    Personal data never lands here: errors are in the output file, by row number.
    """

    Status = RunStatus

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    engine = models.CharField(max_length=10, choices=ENGINE_CHOICES, default="local")
    data_path = models.TextField()
    input_sha256 = models.CharField(max_length=64)
    out_path = models.TextField()
    output_sha256 = models.CharField(max_length=64, blank=True)
    model_version = models.ForeignKey(
        ModelVersion, on_delete=models.PROTECT, related_name="portfolio_runs"
    )
    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="+")
    as_of = models.DateField()
    rows_total = models.PositiveBigIntegerField(default=0)
    rows_done = models.PositiveBigIntegerField(default=0)
    rows_scored = models.PositiveBigIntegerField(default=0)
    rows_invalid = models.PositiveBigIntegerField(default=0)
    rows_per_second = models.FloatField(default=0.0)
    # The numbers (0-based, in input order) of the first 100 rows that could not be scored;
    # the output file has every row's error.
    invalid_rows = models.JSONField(default=list, blank=True)
    # Workers and threads of the Dask cluster that ran it; empty on one machine.
    cluster = models.JSONField(default=dict, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # A readable message for people, never a traceback.
    error = models.TextField(blank=True)
    celery_task_id = models.CharField(max_length=64, blank=True)
    cancel_requested = models.BooleanField(default=False)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="portfolio_run_status_idx")]

    def __str__(self) -> str:
        return f"portfolio run {self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.SUCCEEDED, self.Status.FAILED, self.Status.CANCELLED}

    @property
    def seconds_left(self) -> float | None:
        """Time left at the current rate, in seconds; None before the first chunk or after."""
        if self.status != self.Status.RUNNING or self.rows_per_second <= 0:
            return None
        return max(self.rows_total - self.rows_done, 0) / self.rows_per_second
