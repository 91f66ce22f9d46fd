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

from credit_ml.monitoring import (
    Characteristic,
    ModelBaseline,
    PsiBands,
    Stability,
    characteristic_analysis,
    stability,
)
from monitoring.selectors import MonitoringError
from registry.models import ModelVersion


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
