"""Stability against the baseline stored at training, on decisions the product made."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from credit_ml.monitoring import ModelBaseline
from credit_ml.synthetic import generate_applications
from monitoring.selectors import Period, period_frame
from monitoring.services import StabilityReport, psi_bands, stability_report
from registry.models import ModelVersion
from tests.monitoring.conftest import TRAINING_ROWS, Record

CATEGORICAL = ("gender", "marital_status", "education", "housing_type", "province", "loan_purpose")


def test_the_baseline_is_stored_with_the_artifact_and_the_version(
    champion: ModelVersion, training_frame: object
) -> None:
    assert champion.baseline_source == "training"
    assert champion.baseline is not None
    baseline = ModelBaseline.from_dict(champion.baseline)
    on_disk = json.loads((Path(champion.artifact_path) / "baseline.json").read_text())
    assert on_disk == champion.baseline
    assert set(baseline.fields) == {
        "age", "gender", "marital_status", "education", "housing_type", "province",
        "employment_status", "work_experience_years", "monthly_income",
        "existing_monthly_installments", "total_existing_debt", "loan_amount",
        "loan_term_months", "annual_interest_rate", "loan_purpose", "credit_card_utilization",
        "past_delinquencies", "worst_collectibility_24m", "active_lending_platforms",
    }  # fmt: skip
    income = baseline.fields["monthly_income"]
    assert income.n == TRAINING_ROWS
    assert len(income.edges) == 9
    assert sum(income.shares) == pytest.approx(1.0)
    assert baseline.fields["gender"].labels == ("M", "F", "missing", "unseen")
    assert baseline.score.n == 600  # the holdout: a fifth of the rows
    assert baseline.points_per_log_odds == pytest.approx(50 / 0.6931471805599453)
    assert "monthly_income" in baseline.mean_contributions


@pytest.mark.slow
def test_halving_the_income_puts_its_psi_in_the_act_band_and_moves_the_score(
    champion: ModelVersion, record: Record
) -> None:
    same = generate_applications(rows=2000, seed=41)
    halved = generate_applications(rows=2000, seed=42)
    halved["monthly_income"] = (halved["monthly_income"] / 2).round(-3)
    record(same, on=date(2026, 11, 2))
    record(halved, on=date(2026, 11, 3))
    assert champion.baseline is not None
    baseline = ModelBaseline.from_dict(champion.baseline)

    def report(day: int) -> StabilityReport:
        frame = period_frame(
            version=champion, period=Period(date(2026, 11, day), date(2026, 11, day))
        )
        assert len(frame) == 2000
        return stability_report(baseline=baseline, frame=frame, bands=psi_bands())

    before, after = report(2), report(3)
    assert before.fields["monthly_income"].band == "stable"
    assert after.fields["monthly_income"].band == "act"
    assert (after.fields["monthly_income"].psi or 0.0) > 1.0
    for name in CATEGORICAL:
        assert after.fields[name].band == "stable", name
        assert before.fields[name].band == "stable", name
    assert before.score.band == "stable"
    assert after.score.psi is not None
    assert before.score.psi is not None
    assert after.score.psi > before.score.psi + 0.05
    income_after = after.characteristics["monthly_income"].change_points
    income_before = before.characteristics["monthly_income"].change_points
    assert income_after is not None
    assert income_before is not None
    assert income_after < income_before - 5  # a lower income costs score points
