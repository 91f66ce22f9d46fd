"""Observed outcomes under a default definition (pure; no database).

An observation says how a loan stood at a months-on-book (MOB): its days past due (DPD)
and/or its SLIK collectibility grade (Kol 1 to 5), or (the older format) only whether it
defaulted, without a MOB. Observations are appended: at the same MOB (or, without one, at
all) a later observation (``observed_at``, then the order of import) supersedes an earlier
one; observations at different MOBs are the loan's history.

A loan *defaulted* under a definition when one of its current observations within
``months_on_book`` is in default (Kol at least ``collectibility_from`` or more than
``days_past_due_over`` days past due), or its current observation without a MOB says it
defaulted. It is *matured* when it defaulted or was observed at ``months_on_book`` or later
(or has an observation without a MOB, which is taken as final).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

#: The SLIK collectibility grades and the days past due each covers (Kol 5: over 180).
KOL_GRADES = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class DefaultDefinition:
    """Kol ``collectibility_from``+ or more than ``days_past_due_over`` DPD, by
    ``months_on_book`` months on book (the usual: Kol 3+, 90+ DPD, 12 MOB)."""

    collectibility_from: int = 3
    days_past_due_over: int = 90
    months_on_book: int = 12

    def __post_init__(self) -> None:
        if self.collectibility_from not in KOL_GRADES:
            raise ValueError("collectibility_from must be a Kol grade, 1 to 5.")
        if self.days_past_due_over < 0 or self.months_on_book < 1:
            raise ValueError("days_past_due_over must be >= 0 and months_on_book >= 1.")

    def in_default(self, *, days_past_due: int | None, collectibility: int | None) -> bool:
        by_kol = collectibility is not None and collectibility >= self.collectibility_from
        by_dpd = days_past_due is not None and days_past_due > self.days_past_due_over
        return by_kol or by_dpd

    def to_dict(self) -> dict[str, Any]:
        return {
            "collectibility_from": self.collectibility_from,
            "days_past_due_over": self.days_past_due_over,
            "months_on_book": self.months_on_book,
            "text": (
                f"Kol {self.collectibility_from}+ or more than {self.days_past_due_over} days "
                f"past due within {self.months_on_book} months on book"
            ),
        }


@dataclass(frozen=True)
class Observation:
    """One imported row; ``sequence`` orders rows imported on the same ``observed_at``."""

    observed_at: date
    sequence: int
    months_on_book: int | None = None
    days_past_due: int | None = None
    collectibility: int | None = None
    defaulted: bool | None = None


@dataclass(frozen=True)
class OutcomeStatus:
    """A loan's status under a definition; ``default_mob`` is the first MOB in default
    (None when it did not default, or defaulted by an observation without a MOB)."""

    defaulted: bool
    matured: bool
    default_mob: int | None
    max_mob: int | None


def current_observations(observations: Iterable[Observation]) -> list[Observation]:
    """The latest observation per MOB (one for all observations without a MOB)."""
    latest: dict[int | None, Observation] = {}
    for item in observations:
        known = latest.get(item.months_on_book)
        if known is None or (item.observed_at, item.sequence) > (
            known.observed_at,
            known.sequence,
        ):
            latest[item.months_on_book] = item
    return list(latest.values())


def outcome_status(
    observations: Iterable[Observation], definition: DefaultDefinition
) -> OutcomeStatus:
    """The loan's status from all its observations (at least one)."""
    current = current_observations(observations)
    if not current:
        raise ValueError("An outcome status needs at least one observation.")
    dated = sorted((o for o in current if o.months_on_book is not None), key=_mob)
    window = [o for o in dated if _mob(o) <= definition.months_on_book]
    bad = [o for o in window if _observation_in_default(o, definition)]
    flagged = any(
        o.months_on_book is None and _observation_in_default(o, definition) for o in current
    )
    defaulted = bool(bad) or flagged
    max_mob = _mob(dated[-1]) if dated else None
    undated = any(o.months_on_book is None for o in current)
    matured = defaulted or undated or (max_mob is not None and max_mob >= definition.months_on_book)
    return OutcomeStatus(
        defaulted=defaulted,
        matured=matured,
        default_mob=_mob(bad[0]) if bad else None,
        max_mob=max_mob,
    )


def _mob(observation: Observation) -> int:
    return observation.months_on_book if observation.months_on_book is not None else -1


def _observation_in_default(observation: Observation, definition: DefaultDefinition) -> bool:
    if observation.days_past_due is None and observation.collectibility is None:
        return bool(observation.defaulted)
    return definition.in_default(
        days_past_due=observation.days_past_due, collectibility=observation.collectibility
    )
