"""Baselines for versions trained before baselines were stored at training.

From the version's recorded training data when that file is still there with its recorded
SHA-256 (the same fields, holdout and scaling as training would have used), or else from its
first month of decisions (the 30 days from its first decision date); the stored baseline
says which (``ModelVersion.baseline_source``).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

from django.db import transaction

from credit_ml.datasets import DatasetError, file_sha256
from credit_ml.monitoring import ModelBaseline, decisions_baseline, refitted_baseline
from credit_ml.scaling import ScoreScaling
from credit_ml.spec import DatasetSpecError
from credit_ml.training import TrainConfig, TrainingDataError, holdout_rows
from monitoring.selectors import MonitoringError, Period, period_frame, period_records
from registry.models import ModelVersion
from registry.selectors import model_version_schema
from registry.services import labelled_frame_read, model_version_load

logger = logging.getLogger(__name__)

#: How many days of a version's first decisions make its baseline without training data.
FIRST_DAYS = 30


def model_version_baseline_backfill(
    *, version: ModelVersion, from_decisions: bool = False
) -> ModelBaseline:
    """Compute and store ``version``'s baseline; ``MonitoringError`` when neither its
    training data nor any decision is available (nothing is written then)."""
    baseline = None if from_decisions else _from_training_data(version=version)
    if baseline is None:
        baseline = _from_first_decisions(version=version)
    with transaction.atomic():
        version.baseline = baseline.to_dict()
        version.baseline_source = baseline.source
        version.save(update_fields=["baseline", "baseline_source"])
    return baseline


def _from_training_data(*, version: ModelVersion) -> ModelBaseline | None:
    path = Path(version.data_path)
    if not version.data_path or not path.is_file():
        return None
    try:
        if file_sha256(path) != version.data_fingerprint:
            return None
        frame, _ = labelled_frame_read(version=version, data_path=path)
        config = TrainConfig.from_dict(version.params)
        rows = holdout_rows(frame, schema=model_version_schema(version=version), config=config)
        return refitted_baseline(model_version_load(version=version), frame, rows)
    except (DatasetError, DatasetSpecError, TrainingDataError, ValueError, OSError):
        logger.warning("the training data of %s cannot be read", version.label, exc_info=True)
        return None


def _from_first_decisions(*, version: ModelVersion) -> ModelBaseline:
    first = (
        version.decisions.order_by("decision_date").values_list("decision_date", flat=True).first()
    )
    if first is None:
        raise MonitoringError(
            f"Model version {version.label} has neither its training data nor any decision "
            "to compute a baseline from."
        )
    period = Period(first, first + timedelta(days=FIRST_DAYS - 1))
    frame = period_frame(version=version, period=period)
    schema = model_version_schema(version=version)
    fields = {
        column.removeprefix("field:"): frame[column].tolist()
        for column in frame.columns
        if column.startswith("field:")
    }
    return decisions_baseline(
        fields,
        schema=schema,
        scores=frame["credit_score"].tolist(),
        contributions=frame["contributions"].tolist(),
        points_per_log_odds=_recorded_scaling(version=version, period=period).factor,
    )


def _recorded_scaling(*, version: ModelVersion, period: Period) -> ScoreScaling:
    """The score scaling the decisions were made with (recorded with each of them)."""
    thresholds = period_records(version=version, period=period).values_list(
        "thresholds", flat=True
    )[0]
    return ScoreScaling.from_dict(thresholds["scaling"])
