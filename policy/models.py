"""What-if simulation runs: recorded decisions re-decided under a candidate policy.

A run reads the audit trail and writes only itself: its status, stage and progress while it
runs, then its report (``policy.simulation.SimulationReport.to_dict``). The candidate is a
rule-set version (a draft or a published one; ``candidate_sha256`` is the SHA-256 of the
definition that was simulated, the evidence a draft's approval checks), a READY model
version, or both.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from registry.models import ModelVersion, RuleSet, RunStatus


class SimulationRun(models.Model):
    Status = RunStatus

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    stage = models.CharField(max_length=80, blank=True)
    progress = models.FloatField(default=0.0)
    # The period and filters (``policy.simulation.SimulationRequest.to_dict``).
    request: models.JSONField[Any] = models.JSONField(default=dict)
    rule_set = models.ForeignKey(
        RuleSet, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    candidate_sha256 = models.CharField(max_length=64, blank=True)
    model_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    report: models.JSONField[Any] = models.JSONField(null=True, blank=True)
    # A readable message for people, never a traceback.
    error = models.TextField(blank=True)
    cancel_requested = models.BooleanField(default=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Written when the worker claims the run, with every progress and by its heartbeat
    # thread; the reaper fails a RUNNING run whose heartbeat is too old (a lost worker).
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__gte=0) & Q(progress__lte=1),
                name="policy_simulation_progress_0_1",
            ),
        ]

    def __str__(self) -> str:
        return f"simulation {self.pk} ({self.status})"
