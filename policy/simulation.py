"""The what-if report: recorded decisions before, and re-decided under a candidate after.

Pure array work, no database: ``SimulationReport.build`` takes the columns the service
collected (one entry per recorded decision, in the same order) and counts. The expected
loss proxy of an approved application is its PD times its requested amount (exposure =
amount, loss given default = 100 %): a ranking figure, not a provision.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypedDict

import numpy as np
import numpy.typing as npt

#: The decisions in report order.
DECISIONS = ("APPROVE", "REVIEW", "REJECT")
#: The segment dimensions of the report.
SEGMENTS = ("client", "grade", "province", "purpose")
#: At most this many mismatches are listed (all are counted).
MAX_LISTED_MISMATCHES = 100


class SimulationRequestDict(TypedDict):
    date_from: str
    date_to: str
    client: str | None
    purpose: str | None
    province: str | None
    rule_set_id: int | None
    model_label: str | None
    as_of: str | None


@dataclass(frozen=True)
class SimulationRequest:
    """Which recorded decisions (``date_from``..``date_to`` by decision date, inclusive;
    optionally one client, loan purpose, province) are re-decided under which candidate:
    the rule-set row ``rule_set_id`` and/or the READY model ``model_label``; each on its own
    decision date unless ``as_of`` is given."""

    date_from: date
    date_to: date
    client: str | None = None
    purpose: str | None = None
    province: str | None = None
    rule_set_id: int | None = None
    model_label: str | None = None
    as_of: date | None = None

    def to_dict(self) -> SimulationRequestDict:
        return {
            "date_from": self.date_from.isoformat(),
            "date_to": self.date_to.isoformat(),
            "client": self.client,
            "purpose": self.purpose,
            "province": self.province,
            "rule_set_id": self.rule_set_id,
            "model_label": self.model_label,
            "as_of": self.as_of.isoformat() if self.as_of else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SimulationRequest:
        as_of = data.get("as_of")
        return cls(
            date_from=date.fromisoformat(data["date_from"]),
            date_to=date.fromisoformat(data["date_to"]),
            client=data.get("client"),
            purpose=data.get("purpose"),
            province=data.get("province"),
            rule_set_id=data.get("rule_set_id"),
            model_label=data.get("model_label"),
            as_of=date.fromisoformat(as_of) if as_of else None,
        )


@dataclass(frozen=True)
class Mismatch:
    """A recorded decision its own model and rule set did not reproduce."""

    request_id: str
    field: str
    recorded: Any
    replayed: Any


@dataclass
class Columns:
    """One entry per recorded decision: what was recorded, its segments, and the decisions
    and failed rules of the replay (``fidelity``) and of the candidate (``after``); an
    after decision of ``""`` means the candidate could not decide it (``skipped``)."""

    request_ids: list[str]
    recorded: list[str]
    recorded_pd: npt.NDArray[np.float64]
    amount: npt.NDArray[np.float64]
    segments: dict[str, list[str]]
    before_rules: list[Sequence[str]]
    after: list[str]
    after_pd: npt.NDArray[np.float64]
    after_rules: list[Sequence[str]]
    skipped: Counter[str] = field(default_factory=Counter)
    mismatches: list[Mismatch] = field(default_factory=list)


@dataclass(frozen=True)
class SimulationReport:
    """The report (``to_dict`` is what the command prints, the API returns and the run keeps)."""

    data: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return self.data

    @classmethod
    def build(cls, columns: Columns, *, outcomes: Mapping[str, bool]) -> SimulationReport:
        """``outcomes``: request id -> defaulted, for the decisions whose outcome is known."""
        before = np.array(columns.recorded, dtype=object)
        after = np.array(columns.after, dtype=object)
        decided = after != ""
        data: dict[str, Any] = {
            "records": len(columns.recorded),
            "fidelity": {
                "reproduced": len(columns.recorded) - len(columns.mismatches),
                "mismatched": len(columns.mismatches),
                "mismatches": [m.__dict__ for m in columns.mismatches[:MAX_LISTED_MISMATCHES]],
            },
            "skipped": dict(columns.skipped),
            "before": _counts(before[decided]),
            "after": _counts(after[decided]),
            "flips": _flips(before[decided], after[decided]),
            "rule_hits": {
                "before": _hits(columns.before_rules, decided),
                "after": _hits(columns.after_rules, decided),
            },
            "approved": {
                "before": _approved(before, columns.recorded_pd, columns.amount, decided),
                "after": _approved(after, columns.after_pd, columns.amount, decided),
            },
            "segments": {
                name: _segments(columns.segments[name], before, after, decided) for name in SEGMENTS
            },
            "outcomes": _outcomes(columns.request_ids, before, after, decided, outcomes),
        }
        return cls(data)


def _counts(decisions: npt.NDArray[Any]) -> dict[str, int]:
    counted = Counter(decisions.tolist())
    return {name: counted.get(name, 0) for name in DECISIONS}


def _flips(before: npt.NDArray[Any], after: npt.NDArray[Any]) -> dict[str, int]:
    """Every (before, after) pair of decisions that differ, with its count (0 included)."""
    pairs = Counter(zip(before.tolist(), after.tolist(), strict=True))
    return {f"{a}->{b}": pairs.get((a, b), 0) for a in DECISIONS for b in DECISIONS if a != b}


def _hits(rules: Sequence[Sequence[str]], decided: npt.NDArray[np.bool_]) -> dict[str, int]:
    counted: Counter[str] = Counter()
    for failed, keep in zip(rules, decided.tolist(), strict=True):
        if keep:
            counted.update(failed)
    return dict(sorted(counted.items()))


def _approved(
    decisions: npt.NDArray[Any],
    pds: npt.NDArray[np.float64],
    amount: npt.NDArray[np.float64],
    decided: npt.NDArray[np.bool_],
) -> dict[str, Any]:
    rows = decided & (decisions == "APPROVE")
    count = int(rows.sum())
    known = rows & np.isfinite(amount)
    return {
        "count": count,
        "mean_pd": float(pds[rows].mean()) if count else None,
        "expected_loss": float((pds[known] * amount[known]).sum()),
    }


def _segments(
    values: Sequence[str],
    before: npt.NDArray[Any],
    after: npt.NDArray[Any],
    decided: npt.NDArray[np.bool_],
) -> list[dict[str, Any]]:
    column = np.array(values, dtype=object)
    rows = []
    for value in sorted(set(column[decided].tolist())):
        mask = decided & (column == value)
        rows.append(
            {
                "segment": value,
                "records": int(mask.sum()),
                "before": _counts(before[mask]),
                "after": _counts(after[mask]),
            }
        )
    return rows


def _outcomes(
    request_ids: Sequence[str],
    before: npt.NDArray[Any],
    after: npt.NDArray[Any],
    decided: npt.NDArray[np.bool_],
    outcomes: Mapping[str, bool],
) -> dict[str, Any]:
    """Observed defaults where known. An applicant rejected originally was never funded, so
    has no outcome: how many of them the candidate would approve is said, not guessed."""
    known = np.array([rid in outcomes for rid in request_ids], dtype=np.bool_) & decided
    defaulted = np.array([outcomes.get(rid, False) for rid in request_ids], dtype=np.bool_)
    return {
        "known": int(known.sum()),
        "approved_before": _default_rate(known & (before == "APPROVE"), defaulted),
        "approved_after": _default_rate(known & (after == "APPROVE"), defaulted),
        "defaulters_rejected": int((known & defaulted & (after == "REJECT")).sum()),
        "good_payers_turned_away": int((known & ~defaulted & (after == "REJECT")).sum()),
        "approved_after_without_outcome": int((decided & ~known & (after == "APPROVE")).sum()),
        "note": (
            "Outcomes are known only for funded applications. Applicants rejected originally "
            "have none: those the candidate approves are counted in "
            "approved_after_without_outcome and left out of its default rate (no reject "
            "inference)."
        ),
    }


def _default_rate(rows: npt.NDArray[np.bool_], defaulted: npt.NDArray[np.bool_]) -> dict[str, Any]:
    count = int(rows.sum())
    defaults = int((rows & defaulted).sum())
    return {"count": count, "defaults": defaults, "rate": defaults / count if count else None}
