"""A lender's own decision thresholds: PD cut-offs, or target rates turned into cut-offs."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from credit_ml.scaling import DecisionThresholds
from credit_ml.schema import INDONESIAN_SCHEMA
from credit_ml.spec import DatasetSpec, DatasetSpecError
from credit_ml.synthetic import generate_applications
from credit_ml.training import (
    TargetRates,
    TrainConfig,
    decision_bands,
    thresholds_for_rates,
    train_model,
)

SPEC: dict[str, Any] = {
    "name": "lender",
    "target": {"column": "status", "default_values": ["bad"]},
    "features": [{"name": "income", "type": "numeric"}],
}


def test_a_spec_takes_pd_cut_offs_or_target_rates_and_keeps_them() -> None:
    cut_offs = DatasetSpec.from_dict(
        {**SPEC, "thresholds": {"approve_below": 0.05, "reject_from": 0.25}}
    )
    rates = DatasetSpec.from_dict(
        {**SPEC, "thresholds": {"approve_rate": 0.6, "review_rate": 0.15}}
    )
    assert (cut_offs.thresholds, cut_offs.target_rates) == (DecisionThresholds(0.05, 0.25), None)
    assert (rates.thresholds, rates.target_rates) == (None, TargetRates(0.6, 0.15))
    assert rates.to_dict()["thresholds"] == {"approve_rate": 0.6, "review_rate": 0.15}
    for spec in (cut_offs, rates):
        assert DatasetSpec.from_dict(spec.to_dict()) == spec
    plain = DatasetSpec.from_dict(SPEC)
    assert (plain.thresholds, plain.target_rates, "thresholds" in plain.to_dict()) == (
        None,
        None,
        False,
    )


@pytest.mark.parametrize(
    ("thresholds", "message"),
    [
        ({"approve_below": 0.1}, "either approve_below and reject_from"),
        ({"approve_below": 0.1, "review_rate": 0.2}, "either approve_below and reject_from"),
        ({"approve_below": 0.3, "reject_from": 0.2}, "approve_below <= reject_from"),
        ({"approve_rate": 0.9, "review_rate": 0.2}, "together must be at most 1"),
        ({"approve_rate": "60%", "review_rate": 0.2}, "must be numbers"),
        ("60/15", "either approve_below and reject_from"),
    ],
)
def test_bad_thresholds_in_a_spec_are_refused(thresholds: Any, message: str) -> None:
    with pytest.raises(DatasetSpecError, match=message):
        DatasetSpec.from_dict({**SPEC, "thresholds": thresholds})


def test_target_rates_become_cut_offs_halfway_between_neighbouring_pds() -> None:
    pds = np.arange(1, 101) / 200  # 0.005, 0.010, ..., 0.5
    chosen = thresholds_for_rates(pds, TargetRates(approve=0.6, review=0.15))
    assert chosen == DecisionThresholds(approve_below=0.3025, reject_from=0.3775)
    assert (pds < chosen.approve_below).sum() == 60
    assert (pds >= chosen.reject_from).sum() == 25


def test_the_extreme_rates_approve_nothing_or_everything() -> None:
    pds = np.array([0.1, 0.2, 0.3, 0.4])
    assert thresholds_for_rates(pds, TargetRates(0.0, 0.0)) == DecisionThresholds(0.0, 0.0)
    assert thresholds_for_rates(pds, TargetRates(1.0, 0.0)) == DecisionThresholds(1.0, 1.0)
    assert thresholds_for_rates(pds, TargetRates(0.5, 0.5)) == DecisionThresholds(0.25, 1.0)


def test_the_bands_give_share_and_bad_rate_per_decision() -> None:
    y = np.array([0, 0, 1, 0, 1, 1])
    pds = np.array([0.01, 0.05, 0.07, 0.10, 0.30, 0.50])
    bands = decision_bands(y, pds, config=TrainConfig())  # approve < 0.08, reject from 0.20
    assert bands["chosen_from"] == "cut-offs"
    assert bands["approval_rate"] == pytest.approx(0.5)
    assert [(b["decision"], b["count"], b["share"], b["bad_rate"]) for b in bands["bands"]] == [
        ("APPROVE", 3, pytest.approx(0.5), pytest.approx(1 / 3)),
        ("REVIEW", 1, pytest.approx(1 / 6), 0.0),
        ("REJECT", 2, pytest.approx(1 / 3), 1.0),
    ]


def test_an_empty_band_has_no_bad_rate() -> None:
    bands = decision_bands(np.array([0, 1]), np.array([0.01, 0.02]), config=TrainConfig())
    assert [b["bad_rate"] for b in bands["bands"]] == [0.5, None, None]


def test_training_with_target_rates_chooses_the_cut_offs_on_its_holdout() -> None:
    frame = generate_applications(rows=2000, seed=5)
    config = TrainConfig(
        n_estimators=10, max_depth=3, folds=0, seed=1, target_rates=TargetRates(0.6, 0.15)
    )
    result = train_model(frame, schema=INDONESIAN_SCHEMA, config=config)
    assert config.target_rates is not None
    assert result.config.thresholds == thresholds_for_rates(result.pd_holdout, config.target_rates)
    shares = [band["share"] for band in result.metrics["decision_bands"]["bands"]]
    assert shares == pytest.approx([0.6, 0.15, 0.25], abs=0.01)
    assert TrainConfig.from_dict(result.config.to_dict()) == result.config
