from __future__ import annotations

import math

import numpy as np
import pytest

from credit_ml.evaluation import (
    binary_metrics,
    calibration_by_decile,
    ks_statistic,
    roc_points,
    score_distribution,
)

# Two goods (PD 0.1, 0.4) and two bads (PD 0.35, 0.8).
Y = [0, 0, 1, 1]
PD = [0.1, 0.4, 0.35, 0.8]


def test_binary_metrics_of_a_hand_computed_example() -> None:
    metrics = binary_metrics(Y, PD)
    # bad-good pairs ranked right: (0.35 > 0.1), (0.8 > 0.1), (0.8 > 0.4): 3 of 4
    assert metrics["auc"] == 0.75
    assert metrics["gini"] == 0.5
    # F_good - F_bad at 0.1: 1/2 - 0; at 0.35: 1/2 - 1/2; at 0.4: 1 - 1/2; at 0.8: 0
    assert metrics["ks"] == 0.5
    assert metrics["brier"] == pytest.approx((0.01 + 0.16 + 0.4225 + 0.04) / 4, abs=1e-15)
    expected_log_loss = -(math.log(0.9) + math.log(0.6) + math.log(0.35) + math.log(0.8)) / 4
    assert metrics["log_loss"] == pytest.approx(expected_log_loss, abs=1e-15)
    assert metrics["default_rate"] == 0.5
    assert metrics["n"] == 4


def test_a_perfect_ranking_has_auc_one_and_ks_one() -> None:
    metrics = binary_metrics([0, 0, 1], [0.1, 0.2, 0.9])
    assert (metrics["auc"], metrics["gini"], metrics["ks"]) == (1.0, 1.0, 1.0)


def test_ks_counts_tied_scores_together() -> None:
    assert ks_statistic([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5]) == 0.0


def test_log_loss_of_a_confident_miss_is_finite() -> None:
    metrics = binary_metrics([0, 1], [1.0, 0.0])
    assert metrics["log_loss"] == pytest.approx(-math.log(1e-15), abs=1e-3)


def test_metrics_need_both_classes() -> None:
    with pytest.raises(ValueError, match="Both defaults and goods"):
        binary_metrics([0, 0], [0.1, 0.2])


def test_metrics_refuse_labels_other_than_zero_and_one() -> None:
    with pytest.raises(ValueError, match="only 0 and 1"):
        binary_metrics([0, 2], [0.1, 0.2])


def test_metrics_refuse_probabilities_outside_zero_one() -> None:
    with pytest.raises(ValueError, match=r"pd must lie in \[0, 1\]"):
        binary_metrics([0, 1], [0.1, float("nan")])


def test_calibration_by_decile_sorts_by_pd_and_cuts_ten_groups() -> None:
    pd_values = np.arange(20) / 20  # 0.00, 0.05, ..., 0.95
    y = np.zeros(20)
    y[[1, 18, 19]] = 1
    rows = calibration_by_decile(y[::-1], pd_values[::-1])  # input order does not matter
    assert len(rows) == 10
    assert rows[0] == {"decile": 1, "n": 2, "mean_pd": 0.025, "observed_rate": 0.5}
    assert rows[1] == {"decile": 2, "n": 2, "mean_pd": 0.125, "observed_rate": 0.0}
    assert rows[9] == {"decile": 10, "n": 2, "mean_pd": 0.925, "observed_rate": 1.0}


def test_calibration_with_fewer_than_ten_rows_leaves_empty_deciles_out() -> None:
    rows = calibration_by_decile([0, 1, 0], [0.3, 0.2, 0.1])
    assert [(r["decile"], r["n"], r["mean_pd"]) for r in rows] == [
        (1, 1, 0.1),
        (2, 1, 0.2),
        (3, 1, 0.3),
    ]


def test_roc_points_run_from_the_origin_to_one_one() -> None:
    points = roc_points(Y, PD)
    # thresholds 0.8, 0.4, 0.35, 0.1 in turn
    assert points == {"fpr": [0.0, 0.0, 0.5, 0.5, 1.0], "tpr": [0.0, 0.5, 0.5, 1.0, 1.0]}


def test_roc_points_are_thinned_to_the_maximum() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 2_000)
    points = roc_points(y, rng.random(2_000), max_points=50)
    assert len(points["fpr"]) == 50
    assert (points["fpr"][0], points["tpr"][0]) == (0.0, 0.0)
    assert (points["fpr"][-1], points["tpr"][-1]) == (1.0, 1.0)


def test_score_distribution_counts_goods_and_bads_per_bin() -> None:
    histogram = score_distribution(
        [300, 450, 500, 700, 900], [0, 1, 0, 1, 0], edges=[250, 500, 900]
    )
    assert histogram == {"edges": [250.0, 500.0, 900.0], "goods": [1, 2], "bads": [1, 1]}
