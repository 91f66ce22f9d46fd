"""Realised performance of cohorts with known outcomes (credit_ml.cohorts)."""

from __future__ import annotations

import pytest

from credit_ml.cohorts import (
    by_cohort,
    calibration_by_grade,
    discrimination,
    vintage_curves,
    wilson_interval,
)


def test_the_wilson_interval_matches_the_hand_computed_bounds() -> None:
    low, high = wilson_interval(10, 100)
    # p = 0.1, z = 1.96: centre 0.1 + 1.9208/100 over 1.038415, half-width ...
    assert low == pytest.approx(0.05522914, abs=1e-7)
    assert high == pytest.approx(0.17436566, abs=1e-7)
    assert wilson_interval(0, 10)[0] == 0.0
    with pytest.raises(ValueError, match="n > 0"):
        wilson_interval(1, 0)


def test_a_cohort_with_known_outcomes_has_its_auc_gini_ks_and_brier() -> None:
    pds = [0.1, 0.2, 0.3, 0.4]
    defaulted = [False, True, False, True]
    row = discrimination("2026-01", pds, defaulted)
    # pairs (bad, good): (0.2, 0.1) right, (0.2, 0.3) wrong, (0.4, 0.1) right, (0.4, 0.3) right
    assert row.auc == pytest.approx(0.75)
    assert row.gini == pytest.approx(0.5)
    assert row.ks == pytest.approx(0.5)
    assert row.brier == pytest.approx((0.01 + 0.64 + 0.09 + 0.36) / 4)
    assert (row.n, row.defaults, row.default_rate) == (4, 2, 0.5)
    single = discrimination("2026-02", [0.1, 0.2], [False, False])
    assert (single.auc, single.gini, single.ks) == (None, None, None)


def test_cohorts_come_sorted_with_a_total() -> None:
    rows = by_cohort(["2026-02", "2026-01", "2026-01"], [0.2, 0.1, 0.3], [True, False, True])
    assert [(r.cohort, r.n, r.defaults) for r in rows] == [
        ("2026-01", 2, 1),
        ("2026-02", 1, 1),
        ("all", 3, 2),
    ]
    assert rows[0].auc == 1.0


def test_calibration_by_grade_says_whether_the_mean_pd_is_inside_the_interval() -> None:
    grades = ["A"] * 100 + ["B"] * 10
    pds = [0.02] * 100 + [0.5] * 10
    defaulted = [i < 10 for i in range(100)] + [False] * 10
    a, b = calibration_by_grade(grades, pds, defaulted)
    assert (a.grade, a.n, a.defaults, a.observed_rate) == ("A", 100, 10, 0.1)
    assert a.mean_pd == pytest.approx(0.02)
    assert (a.ci_low, a.ci_high) == pytest.approx((0.05522914, 0.17436566), abs=1e-7)
    assert a.within is False  # predicted 2 %, observed 10 %: under-predicted
    assert (b.grade, b.observed_rate, b.within) == ("B", 0.0, False)
    assert b.ci_high == pytest.approx(0.27753279, abs=1e-7)


def test_vintage_curves_are_cumulative_default_rates_by_month_on_book() -> None:
    curves = vintage_curves(["2026-01"] * 4 + ["2026-02"] * 2, [2, None, 3, 3, None, 1], max_mob=4)
    assert curves == {"2026-01": [0.0, 0.25, 0.75, 0.75], "2026-02": [0.5, 0.5, 0.5, 0.5]}
