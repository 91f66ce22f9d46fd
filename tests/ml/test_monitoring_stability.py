"""PSI, bins and bands of credit_ml.monitoring against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from credit_ml.monitoring import (
    EMPTY_SHARE,
    Bins,
    PsiBands,
    categorical_bins,
    numeric_bins,
    psi,
    stability,
)


def test_psi_of_two_bins_equals_the_hand_computed_value() -> None:
    # (0.3 - 0.5) ln(0.3/0.5) + (0.7 - 0.5) ln(0.7/0.5)
    expected = -0.2 * math.log(0.6) + 0.2 * math.log(1.4)
    assert psi([0.5, 0.5], [0.3, 0.7]) == pytest.approx(expected, abs=1e-12)
    assert psi([0.5, 0.5], [0.3, 0.7]) == pytest.approx(0.16946, abs=1e-5)


def test_an_empty_bin_counts_with_the_floor_share_instead_of_infinity() -> None:
    value = psi([0.5, 0.5, 0.0], [0.5, 0.25, 0.25])
    expected = (0.25 - 0.5) * math.log(0.25 / 0.5) + (0.25 - EMPTY_SHARE) * math.log(
        0.25 / EMPTY_SHARE
    )
    assert value == pytest.approx(expected, abs=1e-12)
    assert psi([0.5, 0.5], [0.5, 0.5]) == 0.0


def test_the_bands_follow_the_rules_of_thumb_and_are_configurable() -> None:
    bands = PsiBands()
    assert [bands.band(v) for v in (0.0, 0.0999, 0.10, 0.25, 0.2501)] == [
        "stable",
        "stable",
        "watch",
        "watch",
        "act",
    ]
    assert PsiBands(watch=0.05, act=0.2).band(0.07) == "watch"
    with pytest.raises(ValueError, match="0 < watch <= act"):
        PsiBands(watch=0.3, act=0.2)


def test_numeric_bins_are_cut_at_the_deciles_with_a_missing_bin() -> None:
    bins = numeric_bins([*range(1, 101), None, float("nan")])
    assert len(bins.edges) == 9
    assert bins.edges == (10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0)
    assert bins.labels[:2] == ("<= 10", "(10, 20]")
    assert bins.labels[-2] == "> 90"
    assert bins.shares[:2] == (10 / 102, 10 / 102)
    assert bins.labels[-1] == "missing"
    assert bins.n == 102
    assert bins.shares[-1] == pytest.approx(2 / 102)
    assert sum(bins.shares) == pytest.approx(1.0)


def test_a_field_of_few_values_gets_fewer_bins() -> None:
    bins = numeric_bins([0] * 80 + [1] * 15 + [2] * 5)
    assert bins.edges == (0.0, 1.0)
    assert bins.labels == ("<= 0", "(0, 1]", "> 1", "missing")
    assert bins.shares == (0.8, 0.15, 0.05, 0.0)


def test_categories_have_missing_and_unseen_bins() -> None:
    bins = categorical_bins(["A", "B", "B", None], categories=("A", "B", "C"))
    assert bins.labels == ("A", "B", "C", "missing", "unseen")
    assert bins.shares == (0.25, 0.5, 0.0, 0.25, 0.0)
    assert bins.counts(["Z", "C", ""]).tolist() == [0, 0, 1, 1, 1]


def test_stability_compares_shares_bin_by_bin_and_says_when_there_is_no_data() -> None:
    baseline = Bins("numeric", edges=(10.0,), shares=(0.5, 0.5, 0.0), n=4)
    shifted = stability(baseline, [1, 2, 3, 20], bands=PsiBands())
    assert shifted.period_shares == (0.75, 0.25, 0.0)
    expected = 0.25 * math.log(0.75 / 0.5) - 0.25 * math.log(0.25 / 0.5)
    assert shifted.psi == pytest.approx(expected, abs=1e-12)
    assert shifted.band == "act"
    empty = stability(baseline, [None, None], bands=PsiBands())
    assert (empty.psi, empty.band, empty.n) == (None, None, 2)
    nothing = stability(baseline, [], bands=PsiBands())
    assert (nothing.psi, nothing.band, nothing.period_shares) == (None, None, (0.0, 0.0, 0.0))


def test_bins_round_trip_through_their_dict() -> None:
    bins = numeric_bins(np.arange(50.0))
    assert Bins.from_dict(bins.to_dict()) == bins
