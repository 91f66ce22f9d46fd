"""Daily monitoring snapshots and the alerts they raise.

A snapshot is one day's report of one model version, for one client or for all clients
(``client_name`` blank), computed by the daily beat task, so that dashboards over months read
snapshots and never scan the decision records. A day's snapshot is written once: running the
day again writes nothing. Alerts are acknowledged with a note, never deleted.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

ALL_CLIENTS = ""


class MonitoringSnapshot(models.Model):
    day = models.DateField()
    model_version = models.ForeignKey(
        "registry.ModelVersion", on_delete=models.PROTECT, related_name="+"
    )
    model_label = models.CharField(max_length=80)
    client_name = models.CharField(max_length=80, blank=True)
    decisions = models.PositiveIntegerField()
    approved = models.PositiveIntegerField()
    score_psi = models.FloatField(null=True, blank=True)
    report: models.JSONField[Any] = models.JSONField()
    # What the dashboard aggregates, compact (``monitoring.dashboard.dashboard_series``), so
    # that months of snapshots are read without parsing their whole reports.
    series: models.JSONField[Any] = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day", "model_label", "client_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "model_version", "client_name"], name="monitoring_one_snapshot"
            )
        ]
        indexes = [
            models.Index(fields=["client_name", "model_label", "-day"], name="monitoring_series"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.model_label} {self.client_name or 'all clients'}"

    @property
    def approval_rate(self) -> float | None:
        return self.approved / self.decisions if self.decisions else None


class MonitoringAlert(models.Model):
    """A threshold a snapshot crossed. ``subject`` names the field, group or cohort."""

    class Kind(models.TextChoices):
        PSI_ACT = "PSI_ACT", "PSI in the act band"
        APPROVAL_SHIFT = "APPROVAL_SHIFT", "Approval rate moved week on week"
        DISPARATE_IMPACT = "DISPARATE_IMPACT", "Disparate-impact ratio under 0.8"
        AUC_DROP = "AUC_DROP", "Realised AUC under the holdout AUC"

    snapshot = models.ForeignKey(
        MonitoringSnapshot, on_delete=models.PROTECT, related_name="alerts"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    subject = models.CharField(max_length=120)
    value = models.FloatField()
    threshold = models.FloatField()
    message = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledgement = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("acknowledge_monitoringalert", "Can acknowledge a monitoring alert")]
        constraints = [
            models.UniqueConstraint(
                fields=["snapshot", "kind", "subject"], name="monitoring_one_alert"
            )
        ]
        indexes = [models.Index(fields=["acknowledged_at", "-created_at"], name="monitoring_open")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject}"

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AlertDeleteRefused("Monitoring alerts are never deleted; acknowledge them.")


class AlertDeleteRefused(RuntimeError):
    """An alert is acknowledged with a note, never deleted."""
