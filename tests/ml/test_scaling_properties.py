"""Properties of the score scaling, risk grades and model decisions (hypothesis).

For any valid scaling and any PD: the score lies in the clamp range, falls as the PD rises,
equals the points-to-double-odds formula computed independently (to rounding), gains ``pdo``
points when the odds of good double, and the array call agrees with the one-PD call.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from credit_ml.scaling import DecisionThresholds, Outcome, RiskGrades, ScoreScaling

QUICK = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PD = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
INNER_PD = st.floats(min_value=1e-12, max_value=1 - 1e-12, allow_nan=False)


@st.composite
def scalings(draw: st.DrawFn) -> ScoreScaling:
    low = draw(st.integers(0, 600))
    return ScoreScaling(
        base_score=draw(st.floats(300, 800, allow_nan=False)),
        base_odds=draw(st.floats(0.5, 200, allow_nan=False)),
        pdo=draw(st.floats(5, 120, allow_nan=False)),
        min_score=low,
        max_score=low + draw(st.integers(1, 900)),
    )


def formula(scaling: ScoreScaling, pd: float) -> float:
    """DOMAIN.md's formula, unrounded and unclamped, written out with ``math``."""
    factor = scaling.pdo / math.log(2)
    offset = scaling.base_score - factor * math.log(scaling.base_odds)
    return offset + factor * math.log((1 - pd) / pd)


@QUICK
@given(scalings(), PD)
def test_every_score_lies_in_the_clamp_range(scaling: ScoreScaling, pd: float) -> None:
    assert scaling.min_score <= scaling.score(pd) <= scaling.max_score


@QUICK
@given(scalings(), PD, PD)
def test_a_higher_pd_never_scores_higher(scaling: ScoreScaling, a: float, b: float) -> None:
    low, high = sorted((a, b))
    assert scaling.score(low) >= scaling.score(high)


@QUICK
@given(scalings(), INNER_PD)
def test_the_score_is_the_formula_rounded_and_clamped(scaling: ScoreScaling, pd: float) -> None:
    raw = formula(scaling, pd)
    score = scaling.score(pd)
    if scaling.min_score + 1 <= raw <= scaling.max_score - 1:
        assert abs(score - raw) <= 0.5 + 1e-6
    elif raw < scaling.min_score:
        assert score == scaling.min_score
    elif raw > scaling.max_score:
        assert score == scaling.max_score


@QUICK
@given(scalings(), st.floats(0.01, 100.0))
def test_doubling_the_odds_of_good_adds_pdo_points(scaling: ScoreScaling, odds: float) -> None:
    pd, pd_doubled = 1 / (1 + odds), 1 / (1 + 2 * odds)
    raw, raw_doubled = formula(scaling, pd), formula(scaling, pd_doubled)
    assume(scaling.min_score + 1 <= raw and raw_doubled <= scaling.max_score - 1)
    gained = scaling.score(pd_doubled) - scaling.score(pd)
    assert abs(gained - scaling.pdo) <= 1 + 1e-6


@QUICK
@given(scalings())
def test_the_base_odds_score_the_base_score(scaling: ScoreScaling) -> None:
    assume(scaling.min_score + 1 <= scaling.base_score <= scaling.max_score - 1)
    assert abs(scaling.score(1 / (1 + scaling.base_odds)) - scaling.base_score) <= 0.5 + 1e-6


@QUICK
@given(scalings(), st.lists(PD, max_size=30))
def test_the_array_call_is_the_one_pd_call_on_each(scaling: ScoreScaling, pds: list[float]) -> None:
    assert scaling.scores(np.array(pds, dtype=np.float64)).tolist() == [
        scaling.score(p) for p in pds
    ]


@QUICK
@given(scalings())
def test_certain_outcomes_take_the_ends_and_the_scaling_round_trips(scaling: ScoreScaling) -> None:
    assert scaling.score(0.0) == scaling.max_score
    assert scaling.score(1.0) == scaling.min_score
    assert ScoreScaling.from_dict(scaling.to_dict()) == scaling


@QUICK
@given(st.one_of(st.floats(max_value=-1e-300), st.floats(min_value=1.0 + 1e-12), st.just(math.nan)))
def test_a_pd_outside_zero_to_one_is_refused(pd: float) -> None:
    with pytest.raises(ValueError, match="must lie in"):
        ScoreScaling().score(pd)
    with pytest.raises(ValueError, match="must lie in"):
        ScoreScaling().scores([0.5, pd])


@QUICK
@given(PD, PD)
def test_grades_and_decisions_never_improve_as_the_pd_rises(a: float, b: float) -> None:
    low, high = sorted((a, b))
    grades, thresholds = RiskGrades(), DecisionThresholds()
    assert grades.names.index(grades.grade(low)) <= grades.names.index(grades.grade(high))
    order = (Outcome.APPROVE, Outcome.REVIEW, Outcome.REJECT)
    assert order.index(thresholds.decide(low)) <= order.index(thresholds.decide(high))


@QUICK
@given(PD)
def test_a_grade_is_the_first_band_the_pd_is_below(pd: float) -> None:
    grades = RiskGrades()
    expected = next((name for name, upper in grades.bands if pd < upper), grades.bands[-1][0])
    assert grades.grade(pd) == expected
