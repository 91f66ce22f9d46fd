"""From a probability of default (PD) to a score, a risk grade and a model decision.

All three are kept per model version (in its manifest), so a decision can be replayed.
Each works on arrays of PDs; the one-PD methods (``score``, ``grade``, ``decide``) are that
call on one PD.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt


class Outcome(StrEnum):
    """A credit decision, or a model's own decision before the rules (stored as its value)."""

    APPROVE = "APPROVE"
    REVIEW = "REVIEW"
    REJECT = "REJECT"


#: The outcomes by how many thresholds a PD reaches (see ``DecisionThresholds.decisions``).
_BY_LEVEL = (Outcome.APPROVE, Outcome.REVIEW, Outcome.REJECT)


def _check_pd(pd: float) -> None:
    if not 0.0 <= pd <= 1.0:  # also refuses NaN
        raise ValueError(f"A probability of default must lie in [0, 1], got {pd!r}.")


def _check_pds(pds: npt.NDArray[np.float64]) -> None:
    if pds.size and not (pds.min() >= 0.0 and pds.max() <= 1.0):  # NaN fails both
        raise ValueError("Probabilities of default must lie in [0, 1].")


@dataclass(frozen=True)
class ScoreScaling:
    """Points-to-double-odds scaling, clamped to ``[min_score, max_score]``.

    ``factor = pdo / ln 2``, ``offset = base_score - factor * ln(base_odds)``,
    ``score = round(offset + factor * ln((1 - PD) / PD))``: ``base_score`` points at good:bad
    odds of ``base_odds``, and ``pdo`` more points each time the odds double. Rounding is
    half-to-even. PD 0 gives ``max_score``, PD 1 gives ``min_score``.
    """

    base_score: float = 600.0
    base_odds: float = 30.0
    pdo: float = 50.0
    min_score: int = 250
    max_score: int = 900

    def __post_init__(self) -> None:
        if not self.pdo > 0:
            raise ValueError("pdo must be positive.")
        if not self.base_odds > 0:
            raise ValueError("base_odds must be positive.")
        if not self.min_score < self.max_score:
            raise ValueError("min_score must be below max_score.")

    @property
    def factor(self) -> float:
        return self.pdo / math.log(2.0)

    @property
    def offset(self) -> float:
        return self.base_score - self.factor * math.log(self.base_odds)

    def score(self, pd: float) -> int:
        """The integer score of one PD; higher is better."""
        _check_pd(pd)
        return int(self.scores(np.array([pd], dtype=np.float64))[0])

    def scores(self, pds: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """``score`` of every PD in an array (same rounding and clamping)."""
        p = np.asarray(pds, dtype=np.float64)
        _check_pds(p)
        with np.errstate(divide="ignore"):  # PD 0 or 1: infinite odds, clamped below
            raw = self.offset + self.factor * (np.log1p(-p) - np.log(p))
        clipped = np.clip(np.rint(raw), self.min_score, self.max_score)
        return clipped.astype(np.int64)

    def to_dict(self) -> dict[str, Any]:
        return {
            "base_score": self.base_score,
            "base_odds": self.base_odds,
            "pdo": self.pdo,
            "min_score": self.min_score,
            "max_score": self.max_score,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScoreScaling:
        return cls(
            base_score=float(data["base_score"]),
            base_odds=float(data["base_odds"]),
            pdo=float(data["pdo"]),
            min_score=int(data["min_score"]),
            max_score=int(data["max_score"]),
        )


@dataclass(frozen=True)
class RiskGrades:
    """Grades by PD band: ``(name, upper)`` pairs, uppers strictly increasing, last 1.0.

    A PD belongs to the first band whose upper bound it is strictly below (upper bounds are
    exclusive): with the defaults PD 0.03 is grade B. PD 1.0 belongs to the last band.
    """

    bands: tuple[tuple[str, float], ...] = (
        ("A", 0.03),
        ("B", 0.06),
        ("C", 0.12),
        ("D", 0.25),
        ("E", 1.0),
    )

    def __post_init__(self) -> None:
        uppers = [upper for _, upper in self.bands]
        if not uppers or uppers[-1] != 1.0:
            raise ValueError("Risk grade bands must end at 1.0.")
        if uppers[0] <= 0 or any(b <= a for a, b in itertools.pairwise(uppers)):
            raise ValueError("Risk grade upper bounds must be positive and increasing.")
        if len({name for name, _ in self.bands}) != len(self.bands):
            raise ValueError("Risk grade names must be unique.")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.bands)

    def grade(self, pd: float) -> str:
        """The grade of one PD."""
        _check_pd(pd)
        return str(self.grades(np.array([pd], dtype=np.float64))[0])

    def grades(self, pds: npt.ArrayLike) -> npt.NDArray[np.str_]:
        """The grade of every PD in an array: the first band whose upper bound it is below."""
        p = np.asarray(pds, dtype=np.float64)
        _check_pds(p)
        cuts, names = self._arrays
        return names[np.searchsorted(cuts, p, side="right")]

    @cached_property
    def _arrays(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.str_]]:
        """The upper bounds but the last (1.0, inclusive) and the names, as arrays."""
        return np.array([upper for _, upper in self.bands[:-1]]), np.array(self.names)

    def to_dict(self) -> dict[str, Any]:
        return {"bands": [[name, upper] for name, upper in self.bands]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RiskGrades:
        return cls(bands=tuple((str(name), float(upper)) for name, upper in data["bands"]))


@dataclass(frozen=True)
class DecisionThresholds:
    """The model's own decision, before any policy rule.

    ``APPROVE`` when PD < ``approve_below``, ``REJECT`` when PD >= ``reject_from``,
    ``REVIEW`` in between. Invariant: 0 <= approve_below <= reject_from <= 1.
    """

    approve_below: float = 0.08
    reject_from: float = 0.20

    def __post_init__(self) -> None:
        if not 0.0 <= self.approve_below <= self.reject_from <= 1.0:
            raise ValueError("Thresholds must satisfy 0 <= approve_below <= reject_from <= 1.")

    def decide(self, pd: float) -> Outcome:
        """The model decision of one PD."""
        _check_pd(pd)
        return self.decisions(np.array([pd], dtype=np.float64))[0]

    def decisions(self, pds: npt.ArrayLike) -> list[Outcome]:
        """The model decision of every PD in an array."""
        p = np.asarray(pds, dtype=np.float64)
        _check_pds(p)
        # How many of the thresholds the PD reaches (approve_below <= reject_from).
        levels = np.searchsorted(self._cuts, p, side="right")
        return [_BY_LEVEL[level] for level in levels.tolist()]

    @cached_property
    def _cuts(self) -> npt.NDArray[np.float64]:
        return np.array([self.approve_below, self.reject_from])

    def to_dict(self) -> dict[str, Any]:
        return {"approve_below": self.approve_below, "reject_from": self.reject_from}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DecisionThresholds:
        return cls(
            approve_below=float(data["approve_below"]), reject_from=float(data["reject_from"])
        )
