"""``monitoring_baseline``: baselines for versions trained before they were stored."""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from credit_ml.monitoring import ModelBaseline
from credit_ml.synthetic import generate_applications
from registry.models import ModelVersion
from tests.monitoring.conftest import Record


def _forget_baseline(version: ModelVersion) -> dict[str, object]:
    assert version.baseline is not None
    stored = dict(version.baseline)
    ModelVersion.objects.filter(pk=version.pk).update(baseline=None, baseline_source="")
    return stored


def test_a_version_with_its_training_data_gets_the_baseline_training_would_have_stored(
    champion: ModelVersion,
) -> None:
    stored = ModelBaseline.from_dict(_forget_baseline(champion))
    out = StringIO()
    call_command("monitoring_baseline", champion.label, stdout=out)
    champion.refresh_from_db()
    assert champion.baseline_source == "training"
    assert champion.baseline is not None
    again = ModelBaseline.from_dict(champion.baseline)
    assert again.fields == stored.fields
    assert again.score.edges == stored.score.edges
    assert again.score.n == 600
    assert again.mean_contributions.keys() == stored.mean_contributions.keys()
    assert out.getvalue() == (
        f"Baseline of {champion.label} computed from its training data: score over 600 "
        "row(s), 19 field(s).\n"
    )


def test_without_training_data_the_first_30_days_of_decisions_are_used(
    champion: ModelVersion, record: Record
) -> None:
    _forget_baseline(champion)
    ModelVersion.objects.filter(pk=champion.pk).update(data_path="")
    first = record(generate_applications(rows=300, seed=51), on=date(2026, 10, 1))
    last = record(generate_applications(rows=200, seed=52), on=date(2026, 10, 30))
    record(generate_applications(rows=100, seed=53), on=date(2026, 10, 31))  # day 31: left out
    out = StringIO()
    call_command("monitoring_baseline", champion.label, stdout=out)
    champion.refresh_from_db()
    assert champion.baseline_source == "decisions"
    assert champion.baseline is not None
    baseline = ModelBaseline.from_dict(champion.baseline)
    assert baseline.score.n == 500
    assert baseline.fields["monthly_income"].n == 500
    assert baseline.fields["gender"].labels == ("M", "F", "missing", "unseen")
    assert baseline.points_per_log_odds == pytest.approx(50 / 0.6931471805599453)
    recorded = [r.attributions["contributions"]["monthly_income"] for r in first + last]
    assert baseline.mean_contributions["monthly_income"] == pytest.approx(sum(recorded) / 500)
    assert "from its first decisions: score over 500 row(s), 19 field(s)" in out.getvalue()


def test_a_version_without_data_or_decisions_is_refused_and_nothing_is_written(
    champion: ModelVersion,
) -> None:
    _forget_baseline(champion)
    ModelVersion.objects.filter(pk=champion.pk).update(data_path="")
    with pytest.raises(CommandError, match="neither its training data nor any decision"):
        call_command("monitoring_baseline", champion.label)
    champion.refresh_from_db()
    assert (champion.baseline, champion.baseline_source) == (None, "")


def test_an_unknown_label_is_refused(db: None) -> None:
    with pytest.raises(CommandError, match="No model version 'nope'"):
        call_command("monitoring_baseline", "nope")
