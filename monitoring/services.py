"""Monitoring reports of a model version over a period, as dataclasses that the command,
the snapshot task and the admin render.

Stability compares the period's decisions with the version's baseline (see
``credit_ml.monitoring``); the bands come from ``KREDITAX_PSI_WATCH``/``KREDITAX_PSI_ACT``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
from django.conf import settings

from audit.events import human_decisions
from audit.outcomes import default_definition, outcome_statuses
from credit_ml.cohorts import (
    Discrimination,
    GradeCalibration,
    by_cohort,
    calibration_by_grade,
    dicts,
    vintage_curves,
)
from credit_ml.monitoring import (
    Characteristic,
    ModelBaseline,
    PsiBands,
    Stability,
    characteristic_analysis,
    decision_mix,
    fairness_over_period,
    override_rate,
    stability,
)
from credit_ml.outcomes import DefaultDefinition
from monitoring.selectors import (
    MonitoringError,
    Period,
    monitored_version,
    period_frame,
    period_records,
)
from registry.models import ModelVersion
from registry.selectors import model_version_schema


def psi_bands() -> PsiBands:
    """The configured PSI bands (read at call time)."""
    try:
        return PsiBands(watch=settings.KREDITAX_PSI_WATCH, act=settings.KREDITAX_PSI_ACT)
    except ValueError as exc:
        raise MonitoringError(str(exc)) from exc


def version_baseline(*, version: ModelVersion) -> ModelBaseline:
    if not version.baseline:
        raise MonitoringError(
            f"Model version {version.label} has no baseline: run "
            f"`python manage.py monitoring_baseline {version.label}`."
        )
    return ModelBaseline.from_dict(version.baseline)


@dataclass(frozen=True)
class StabilityReport:
    """The score's and each field's PSI with both shares per bin, and the characteristic
    analysis (change in mean score points per field); ``baseline_source`` says where the
    baseline came from."""

    baseline_source: str
    score: Stability
    fields: Mapping[str, Stability]
    characteristics: Mapping[str, Characteristic]

    def to_dict(self) -> dict[str, Any]:
        return {
            "baseline_source": self.baseline_source,
            "score": self.score.to_dict(),
            "fields": {name: item.to_dict() for name, item in self.fields.items()},
            "characteristics": {
                name: item.to_dict() for name, item in self.characteristics.items()
            },
        }


def stability_report(
    *, baseline: ModelBaseline, frame: pd.DataFrame, bands: PsiBands
) -> StabilityReport:
    """PSI of the score and of every baseline field over the period's decision ``frame``."""
    fields = {
        name: stability(bins, _column(frame, f"field:{name}"), bands=bands)
        for name, bins in baseline.fields.items()
    }
    return StabilityReport(
        baseline_source=baseline.source,
        score=stability(baseline.score, _column(frame, "credit_score"), bands=bands),
        fields=fields,
        characteristics=characteristic_analysis(baseline, _column(frame, "contributions")),
    )


def _column(frame: pd.DataFrame, name: str) -> list[Any]:
    """A column's values (all None when no decision had the field)."""
    if name in frame.columns:
        return [None if v is None or v is pd.NA or v != v else v for v in frame[name].tolist()]
    return [None] * len(frame)


@dataclass(frozen=True)
class PerformanceReport:
    """Realised performance of the period's matured loans by application month."""

    matured: int
    cohorts: list[Discrimination]
    calibration: list[GradeCalibration]
    vintages: dict[str, list[float]]

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "matured": self.matured,
            "cohorts": dicts(self.cohorts),
            "calibration_by_grade": dicts(self.calibration),
            "vintages": self.vintages,
        }
        if not self.matured:
            body["note"] = "no matured outcomes in this period"
        return body


def performance_report(*, frame: pd.DataFrame, definition: DefaultDefinition) -> PerformanceReport:
    """Discrimination and calibration of the matured loans among the period's decisions,
    and the vintage curves of every observed loan (by application month)."""
    ids = frame["request_id"].tolist() if len(frame) else []
    statuses = outcome_statuses(request_ids=ids, definition=definition)
    months = {
        rid: f"{day:%Y-%m}" for rid, day in zip(ids, frame.get("decision_date", []), strict=True)
    }
    rows = list(
        zip(ids, frame.get("probability_of_default", []), frame.get("risk_grade", []), strict=True)
    )
    matured = [
        (rid, pd_value, grade)
        for rid, pd_value, grade in rows
        if rid in statuses and statuses[rid].matured
    ]
    observed = [rid for rid in ids if rid in statuses]
    bad = [statuses[rid].defaulted for rid, _, _ in matured]
    return PerformanceReport(
        matured=len(matured),
        cohorts=by_cohort([months[rid] for rid, _, _ in matured], [p for _, p, _ in matured], bad),
        calibration=calibration_by_grade(
            [g for _, _, g in matured], [p for _, p, _ in matured], bad
        ),
        vintages=vintage_curves(
            [months[rid] for rid in observed],
            [statuses[rid].default_mob for rid in observed],
            max_mob=definition.months_on_book,
        ),
    )


@dataclass(frozen=True)
class MonitoringReport:
    """Everything monitored of one version over a period (one client's or all)."""

    model_version: str
    period: Period
    client: str | None
    decisions: int
    default_definition: DefaultDefinition
    bands: PsiBands
    stability: StabilityReport
    decision_mix: dict[str, Any]
    performance: PerformanceReport
    fairness: dict[str, list[dict[str, Any]]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "model_version": self.model_version,
            "period": {"from": self.period.start.isoformat(), "to": self.period.end.isoformat()},
            "client": self.client,
            "decisions": self.decisions,
            "default_definition": self.default_definition.to_dict(),
            "psi_bands": {"watch": self.bands.watch, "act": self.bands.act},
            "stability": self.stability.to_dict(),
            "decision_mix": self.decision_mix,
            "performance": self.performance.to_dict(),
            "fairness": self.fairness,
        }


def monitoring_report(
    *, period: Period, client: str | None = None, model_label: str | None = None
) -> MonitoringReport:
    """The report of ``model_label`` (default: the champion) over ``period``."""
    version = monitored_version(label=model_label)
    baseline = version_baseline(version=version)
    bands = psi_bands()
    definition = default_definition()
    frame = period_frame(version=version, period=period, client=client)
    human = human_decisions(records=period_records(version=version, period=period, client=client))
    return MonitoringReport(
        model_version=version.label,
        period=period,
        client=client,
        decisions=len(frame),
        default_definition=definition,
        bands=bands,
        stability=stability_report(baseline=baseline, frame=frame, bands=bands),
        decision_mix={
            **decision_mix(frame),
            "overrides": override_rate(
                frame["decision"].tolist(),
                [human.get(request_id) for request_id in frame["request_id"]],
            ),
        },
        performance=performance_report(frame=frame, definition=definition),
        fairness=fairness_over_period(frame, schema=model_version_schema(version=version)),
    )
