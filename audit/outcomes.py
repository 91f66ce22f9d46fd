"""Importing observed outcomes (did the applicant default?) of recorded decisions.

The file is a CSV with ``request_id`` (a decision record's request id), ``defaulted``
(0 or 1) and ``observed_at`` (ISO date). Every row is checked first; one bad row, or one
request id no decision record has, refuses the whole file and nothing is written.
A request id imported again has its outcome replaced (an outcome can be revised).
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.db import transaction

from audit.models import DecisionRecord, Outcome

COLUMNS = ("request_id", "defaulted", "observed_at")
#: At most this many row problems are listed in the message.
MAX_LISTED = 10


class OutcomeImportError(ValueError):
    """The file was refused and nothing was written; the message lists the problems."""


@dataclass(frozen=True)
class ParsedOutcome:
    request_id: uuid.UUID
    defaulted: bool
    observed_at: date


@dataclass(frozen=True)
class OutcomeImportResult:
    """``rows`` read, of which ``created`` new outcomes and ``updated`` replaced ones."""

    rows: int
    created: int
    updated: int
    defaults: int


def outcomes_import(*, path: Path) -> OutcomeImportResult:
    """Validate every row of ``path``, then write all outcomes in one transaction."""
    parsed = outcomes_parse(path=path)
    _refuse_unknown(ids=[row.request_id for row in parsed])
    with transaction.atomic():
        existing = set(
            Outcome.objects.filter(request_id__in=[row.request_id for row in parsed]).values_list(
                "request_id", flat=True
            )
        )
        for row in parsed:
            Outcome.objects.update_or_create(
                request_id=row.request_id,
                defaults={"defaulted": row.defaulted, "observed_at": row.observed_at},
            )
    return OutcomeImportResult(
        rows=len(parsed),
        created=len(parsed) - len(existing),
        updated=len(existing),
        defaults=sum(row.defaulted for row in parsed),
    )


def outcomes_parse(*, path: Path) -> list[ParsedOutcome]:
    """Every row parsed, or ``OutcomeImportError`` listing the bad rows by line number."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            missing = [name for name in COLUMNS if name not in (reader.fieldnames or [])]
            if missing:
                raise OutcomeImportError(f"{path.name} lacks column(s): {', '.join(missing)}.")
            rows, problems = _parse_rows(enumerate(reader, start=2))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise OutcomeImportError(f"Cannot read {path}: {exc}") from exc
    if problems:
        raise OutcomeImportError(_listing(f"{len(problems)} bad row(s) in {path.name}", problems))
    if not rows:
        raise OutcomeImportError(f"{path.name} has no outcome rows.")
    return rows


def _parse_rows(
    numbered: Iterable[tuple[int, dict[str, str | None]]],
) -> tuple[list[ParsedOutcome], list[str]]:
    rows: list[ParsedOutcome] = []
    problems: list[str] = []
    seen: set[uuid.UUID] = set()
    for line, raw in numbered:
        try:
            row = _parse_row(raw)
        except ValueError as exc:
            problems.append(f"line {line}: {exc}")
            continue
        if row.request_id in seen:
            problems.append(f"line {line}: request_id {row.request_id} appears twice")
        seen.add(row.request_id)
        rows.append(row)
    return rows, problems


def _parse_row(raw: dict[str, str | None]) -> ParsedOutcome:
    text = {name: (raw.get(name) or "").strip() for name in COLUMNS}
    try:
        request_id = uuid.UUID(text["request_id"])
    except ValueError:
        raise ValueError(f"request_id {text['request_id']!r} is not a UUID") from None
    if text["defaulted"] not in {"0", "1"}:
        raise ValueError(f"defaulted must be 0 or 1, not {text['defaulted']!r}")
    try:
        observed_at = date.fromisoformat(text["observed_at"])
    except ValueError:
        raise ValueError(
            f"observed_at {text['observed_at']!r} is not a date (YYYY-MM-DD)"
        ) from None
    return ParsedOutcome(request_id, text["defaulted"] == "1", observed_at)


def _refuse_unknown(*, ids: list[uuid.UUID]) -> None:
    known: set[uuid.UUID] = set()
    for start in range(0, len(ids), 1000):  # bounded IN lists
        chunk = ids[start : start + 1000]
        known |= set(
            DecisionRecord.objects.filter(request_id__in=chunk).values_list("request_id", flat=True)
        )
    unknown = [str(request_id) for request_id in ids if request_id not in known]
    if unknown:
        raise OutcomeImportError(
            _listing(f"{len(unknown)} request id(s) match no decision record", unknown)
        )


def _listing(head: str, items: list[str]) -> str:
    more = f"; and {len(items) - MAX_LISTED} more" if len(items) > MAX_LISTED else ""
    return f"{head}: {'; '.join(items[:MAX_LISTED])}{more}. Nothing was imported."


def outcome_defaulted_by_request(request_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, bool]:
    """Whether each recorded decision's applicant defaulted, for those whose outcome is known
    (request id -> defaulted); ids without an outcome are absent. Read in bounded chunks."""
    ids = list(request_ids)
    known: dict[uuid.UUID, bool] = {}
    for start in range(0, len(ids), 1000):  # bounded IN lists
        chunk = ids[start : start + 1000]
        known.update(
            Outcome.objects.filter(request_id__in=chunk).values_list("request_id", "defaulted")
        )
    return known
