"""Outcome status under a default definition (credit_ml.outcomes)."""

from __future__ import annotations

from datetime import date

import pytest

from credit_ml.outcomes import DefaultDefinition, Observation, outcome_status

KOL3 = DefaultDefinition()


def obs(day: int, seq: int = 0, **values: int | bool | None) -> Observation:
    return Observation(observed_at=date(2026, 1, day), sequence=seq, **values)  # type: ignore[arg-type]


def test_kol_3_or_more_than_90_days_past_due_within_12_months_is_a_default() -> None:
    assert outcome_status([obs(1, months_on_book=6, collectibility=3)], KOL3).defaulted
    assert not outcome_status([obs(1, months_on_book=6, collectibility=2)], KOL3).defaulted
    assert outcome_status([obs(1, months_on_book=6, days_past_due=91)], KOL3).defaulted
    assert not outcome_status([obs(1, months_on_book=6, days_past_due=90)], KOL3).defaulted
    late = outcome_status([obs(1, months_on_book=13, collectibility=5)], KOL3)
    assert (late.defaulted, late.matured, late.max_mob) == (False, True, 13)


def test_the_definition_is_configurable_and_says_what_it_is() -> None:
    strict = DefaultDefinition(collectibility_from=2, days_past_due_over=30, months_on_book=6)
    assert outcome_status([obs(1, months_on_book=3, collectibility=2)], strict).defaulted
    assert outcome_status([obs(1, months_on_book=3, days_past_due=31)], strict).defaulted
    assert strict.to_dict() == {
        "collectibility_from": 2,
        "days_past_due_over": 30,
        "months_on_book": 6,
        "text": "Kol 2+ or more than 30 days past due within 6 months on book",
    }
    with pytest.raises(ValueError, match="Kol grade"):
        DefaultDefinition(collectibility_from=6)


def test_a_later_observation_at_the_same_months_on_book_supersedes_the_earlier() -> None:
    corrected = [
        obs(1, months_on_book=6, collectibility=4),
        obs(2, months_on_book=6, collectibility=1),
    ]
    assert not outcome_status(corrected, KOL3).defaulted
    same_day = [
        obs(1, 2, months_on_book=6, collectibility=1),
        obs(1, 1, months_on_book=6, collectibility=4),
    ]
    assert not outcome_status(same_day, KOL3).defaulted  # imported later wins


def test_the_history_keeps_a_default_and_its_first_month_on_book() -> None:
    history = [
        obs(1, months_on_book=3, collectibility=1),
        obs(2, months_on_book=7, collectibility=3),
        obs(3, months_on_book=9, collectibility=5),
        obs(4, months_on_book=11, collectibility=1),
    ]
    status = outcome_status(history, KOL3)
    assert (status.defaulted, status.default_mob, status.max_mob, status.matured) == (
        True,
        7,
        11,
        True,
    )
    young = outcome_status([obs(1, months_on_book=4, collectibility=2)], KOL3)
    assert (young.defaulted, young.matured) == (False, False)


def test_the_older_format_without_months_on_book_is_final() -> None:
    assert outcome_status([obs(1, defaulted=True)], KOL3).defaulted
    good = outcome_status([obs(1, defaulted=True), obs(2, defaulted=False)], KOL3)
    assert (good.defaulted, good.matured, good.default_mob) == (False, True, None)
