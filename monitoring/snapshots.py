"""Daily snapshots of the monitoring report, and the alerts they raise.

``snapshots_for_day`` writes, for every model version that decided on ``day`` (and has a
baseline), one snapshot for all clients and one per client. A snapshot that exists is left
alone, so running a day again writes nothing. Alerts are raised with their snapshot, in the
same transaction, against the configured thresholds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from audit.models import DecisionRecord
from monitoring.dashboard import dashboard_series
from monitoring.models import ALL_CLIENTS, MonitoringAlert, MonitoringSnapshot
from monitoring.selectors import MonitoringError, Period
from monitoring.services import MonitoringReport, monitoring_report
from registry.models import ModelVersion

logger = logging.getLogger(__name__)

Kind = MonitoringAlert.Kind


@dataclass(frozen=True)
class AlertDraft:
    kind: str
    subject: str
    value: float
    threshold: float
    message: str


def snapshots_for_day(*, day: date) -> list[MonitoringSnapshot]:
    """The snapshots written for ``day`` (none for a day already done)."""
    pairs = (
        DecisionRecord.objects.filter(decision_date=day)
        .values_list("model_version_id", "client_name")
        .distinct()
    )
    clients: dict[int, set[str]] = {}
    for version_id, client in pairs:
        clients.setdefault(version_id, set()).add(client)
    written: list[MonitoringSnapshot] = []
    for version in ModelVersion.objects.filter(pk__in=clients).order_by("pk"):
        if not version.baseline:
            logger.warning("monitoring: %s has no baseline; no snapshot for %s", version.label, day)
            continue
        for client in [ALL_CLIENTS, *sorted(clients[version.pk])]:
            snapshot = _snapshot(version=version, day=day, client=client)
            if snapshot is not None:
                written.append(snapshot)
    return written


def _snapshot(*, version: ModelVersion, day: date, client: str) -> MonitoringSnapshot | None:
    done = MonitoringSnapshot.objects.filter(day=day, model_version=version, client_name=client)
    if done.exists():
        return None
    try:
        report = monitoring_report(
            period=Period(day, day), client=client or None, model_label=version.label
        )
    except MonitoringError:
        logger.warning("monitoring: no report of %s for %s", version.label, day, exc_info=True)
        return None
    body = report.to_dict()
    try:
        with transaction.atomic():
            snapshot = MonitoringSnapshot.objects.create(
                day=day,
                model_version=version,
                model_label=version.label,
                client_name=client,
                decisions=report.decisions,
                approved=report.decision_mix["APPROVE"]["count"],
                score_psi=report.stability.score.psi,
                report=body,
                series=dashboard_series(body),
            )
            drafts = alert_drafts(report=report, snapshot=snapshot, version=version)
            MonitoringAlert.objects.bulk_create(
                [MonitoringAlert(snapshot=snapshot, **vars(d)) for d in drafts]
            )
    except IntegrityError:  # another worker wrote this snapshot meanwhile
        return None
    return snapshot


def alert_drafts(
    *, report: MonitoringReport, snapshot: MonitoringSnapshot, version: ModelVersion
) -> list[AlertDraft]:
    """Every configured threshold the snapshot's report crosses."""
    return [
        *_psi_alerts(report),
        *_approval_alerts(snapshot),
        *_fairness_alerts(report),
        *_auc_alerts(report, version),
    ]


def _psi_alerts(report: MonitoringReport) -> list[AlertDraft]:
    act = report.bands.act
    items = [("score", report.stability.score), *report.stability.fields.items()]
    return [
        AlertDraft(
            Kind.PSI_ACT,
            name,
            item.psi,
            act,
            f"PSI of {name} is {item.psi:.3f}, over the act band ({act:g}).",
        )
        for name, item in items
        if item.psi is not None and item.band == "act"
    ]


def _week_rate(snapshot: MonitoringSnapshot, *, first: date, last: date) -> float | None:
    totals = MonitoringSnapshot.objects.filter(
        model_version=snapshot.model_version,
        client_name=snapshot.client_name,
        day__gte=first,
        day__lte=last,
    ).aggregate(decisions=Sum("decisions"), approved=Sum("approved"))
    if not totals["decisions"]:
        return None
    return float(totals["approved"]) / float(totals["decisions"])


def _approval_alerts(snapshot: MonitoringSnapshot) -> list[AlertDraft]:
    """This week's approval rate (the 7 days to the snapshot's) against the week before."""
    day = snapshot.day
    this_week = _week_rate(snapshot, first=day - timedelta(days=6), last=day)
    last_week = _week_rate(snapshot, first=day - timedelta(days=13), last=day - timedelta(days=7))
    if this_week is None or last_week is None:
        return []
    points = (this_week - last_week) * 100
    limit = float(settings.KREDITAX_ALERT_APPROVAL_POINTS)
    if abs(points) <= limit:
        return []
    return [
        AlertDraft(
            Kind.APPROVAL_SHIFT,
            "approval rate",
            points,
            limit,
            f"Approval rate {this_week:.1%} over the last 7 days against {last_week:.1%} the "
            f"week before ({points:+.1f} points; the limit is {limit:g}).",
        )
    ]


def _fairness_alerts(report: MonitoringReport) -> list[AlertDraft]:
    return [
        AlertDraft(
            Kind.DISPARATE_IMPACT,
            f"{name}={row['group']}",
            row["disparate_impact"],
            0.8,
            f"Disparate-impact ratio of {name} {row['group']} is {row['disparate_impact']:.2f}.",
        )
        for name, rows in report.fairness.items()
        for row in rows
        if row["flagged"]
    ]


def _auc_alerts(report: MonitoringReport, version: ModelVersion) -> list[AlertDraft]:
    holdout = version.metrics.get("auc") if isinstance(version.metrics, dict) else None
    totals = [row for row in report.performance.cohorts if row.cohort == "all"]
    if holdout is None or not totals or totals[0].auc is None:
        return []
    floor = float(holdout) - float(settings.KREDITAX_ALERT_AUC_MARGIN)
    realised = totals[0].auc
    if realised >= floor:
        return []
    return [
        AlertDraft(
            Kind.AUC_DROP,
            "all cohorts",
            realised,
            floor,
            f"Realised AUC {realised:.3f} is under the holdout AUC {float(holdout):.3f} "
            f"minus the margin ({floor:.3f}).",
        )
    ]


class AlertAcknowledgeRefused(ValueError):
    """The alert was not acknowledged; the message says why (nothing was written)."""


def alert_acknowledge(*, alert_id: int, user: AbstractBaseUser, note: str) -> MonitoringAlert:
    """Record who acknowledged the alert, when and why; an alert is acknowledged once."""
    text = note.strip()
    if not text:
        raise AlertAcknowledgeRefused("Say why in a note: the note is required.")
    with transaction.atomic():
        alert = MonitoringAlert.objects.select_for_update().get(pk=alert_id)
        if alert.acknowledged_at is not None:
            raise AlertAcknowledgeRefused("This alert was already acknowledged.")
        alert.acknowledged_by_id = user.pk
        alert.acknowledged_at = timezone.now()
        alert.acknowledgement = text
        alert.save(update_fields=["acknowledged_by", "acknowledged_at", "acknowledgement"])
    return alert


def snapshot_day_default() -> date:
    """Yesterday in the configured time zone (decision dates are local)."""
    return timezone.localdate() - timedelta(days=1)


def snapshot_summary(snapshots: list[MonitoringSnapshot]) -> dict[str, Any]:
    return {"snapshots": len(snapshots), "alerts": sum(s.alerts.count() for s in snapshots)}
