"""Importing observed outcomes of recorded decisions, and reading them under the configured
default definition.

The file is a CSV with ``request_id`` (a decision record's request id), ``observed_at`` (ISO
date) and either ``defaulted`` (0 or 1; the older format) or ``days_past_due`` and/or
``collectibility`` (the SLIK grade, ``1`` to ``5`` or ``Kol 3``), with an optional
``months_on_book``. Every row is checked first; one bad row, or one request id no decision
record has, refuses the whole file and nothing is written. Observations are appended: a
later observation at the same months on book supersedes an earlier one, and both are kept
(see ``credit_ml.outcomes``). The default definition (``KREDITAX_DEFAULT_KOL``,
``KREDITAX_DEFAULT_DPD``, ``KREDITAX_DEFAULT_MOB``) is applied when outcomes are read.
"""

from __future__ import annotations

import csv
import re
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.conf import settings
from django.db import transaction

from audit.models import DecisionRecord, Outcome
from credit_ml.outcomes import DefaultDefinition, Observation, OutcomeStatus, outcome_status

REQUIRED = ("request_id", "observed_at")
#: At least one of these columns must be in the file, and filled in on every row.
STATUS_COLUMNS = ("defaulted", "days_past_due", "collectibility")
OPTIONAL = ("months_on_book",)
#: At most this many row problems are listed in the message.
MAX_LISTED = 10
#: Bounded IN lists.
CHUNK = 1000
_KOL = re.compile(r"^(?:kol\s*)?([1-5])$", re.IGNORECASE)
MAX_MONTHS_ON_BOOK = 600
MAX_DAYS_PAST_DUE = 36_500


class OutcomeImportError(ValueError):
    """The file was refused and nothing was written; the message lists the problems."""


@dataclass(frozen=True)
class ParsedOutcome:
    request_id: uuid.UUID
    defaulted: bool | None
    observed_at: date
    days_past_due: int | None = None
    collectibility: int | None = None
    months_on_book: int | None = None


@dataclass(frozen=True)
class OutcomeImportResult:
    """``rows`` read, of which ``created`` first observations of their request, and
    ``superseding`` later observations of an already observed one (at the same months on
    book); ``defaults``: rows in default under the configured definition."""

    rows: int
    created: int
    superseding: int
    defaults: int


def default_definition() -> DefaultDefinition:
    """The configured default definition (read at call time)."""
    return DefaultDefinition(
        collectibility_from=settings.KREDITAX_DEFAULT_KOL,
        days_past_due_over=settings.KREDITAX_DEFAULT_DPD,
        months_on_book=settings.KREDITAX_DEFAULT_MOB,
    )


def outcomes_import(*, path: Path) -> OutcomeImportResult:
    """Validate every row of ``path``, then append all observations in one transaction."""
    parsed = outcomes_parse(path=path)
    ids = list(dict.fromkeys(row.request_id for row in parsed))
    _refuse_unknown(ids=ids)
    definition = default_definition()
    with transaction.atomic():
        seen = _observed_slots(ids=ids)
        Outcome.objects.bulk_create(
            [
                Outcome(
                    request_id=row.request_id,
                    defaulted=row.defaulted,
                    days_past_due=row.days_past_due,
                    collectibility=row.collectibility,
                    months_on_book=row.months_on_book,
                    observed_at=row.observed_at,
                )
                for row in parsed
            ],
            batch_size=CHUNK,
        )
    known = {request_id for request_id, _ in seen}
    return OutcomeImportResult(
        rows=len(parsed),
        created=len([i for i in ids if i not in known]),
        superseding=sum((row.request_id, row.months_on_book) in seen for row in parsed),
        defaults=sum(_row_in_default(row, definition) for row in parsed),
    )


def _observed_slots(*, ids: list[uuid.UUID]) -> set[tuple[uuid.UUID, int | None]]:
    slots: set[tuple[uuid.UUID, int | None]] = set()
    for start in range(0, len(ids), CHUNK):
        slots |= set(
            Outcome.objects.filter(request_id__in=ids[start : start + CHUNK]).values_list(
                "request_id", "months_on_book"
            )
        )
    return slots


def _row_in_default(row: ParsedOutcome, definition: DefaultDefinition) -> bool:
    if row.days_past_due is None and row.collectibility is None:
        return bool(row.defaulted)
    return definition.in_default(days_past_due=row.days_past_due, collectibility=row.collectibility)


def outcome_statuses(
    *, request_ids: Iterable[uuid.UUID], definition: DefaultDefinition | None = None
) -> dict[uuid.UUID, OutcomeStatus]:
    """Each observed request's status under ``definition`` (default: the configured one);
    requests without any observation are left out."""
    rule = definition or default_definition()
    ids = list(request_ids)
    observations: dict[uuid.UUID, list[Observation]] = defaultdict(list)
    for start in range(0, len(ids), CHUNK):
        rows = Outcome.objects.filter(request_id__in=ids[start : start + CHUNK]).values_list(
            "request_id",
            "observed_at",
            "id",
            "months_on_book",
            "days_past_due",
            "collectibility",
            "defaulted",
        )
        for request_id, observed_at, pk, mob, dpd, kol, defaulted in rows.iterator():
            observations[request_id].append(Observation(observed_at, pk, mob, dpd, kol, defaulted))
    return {key: outcome_status(items, rule) for key, items in observations.items()}


def outcome_defaulted_by_request(request_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, bool]:
    """Each observed request's current default status under the configured definition
    (requests without an outcome are left out)."""
    return {
        key: status.defaulted for key, status in outcome_statuses(request_ids=request_ids).items()
    }


def outcomes_parse(*, path: Path) -> list[ParsedOutcome]:
    """Every row parsed, or ``OutcomeImportError`` listing the bad rows by line number."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            _check_columns(reader.fieldnames or [], name=path.name)
            rows, problems = _parse_rows(enumerate(reader, start=2))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise OutcomeImportError(f"Cannot read {path}: {exc}") from exc
    if problems:
        raise OutcomeImportError(_listing(f"{len(problems)} bad row(s) in {path.name}", problems))
    if not rows:
        raise OutcomeImportError(f"{path.name} has no outcome rows.")
    return rows


def _check_columns(fieldnames: Iterable[str], *, name: str) -> None:
    present = set(fieldnames)
    missing = [column for column in REQUIRED if column not in present]
    if not present & set(STATUS_COLUMNS):
        missing.append(" or ".join(STATUS_COLUMNS))
    if missing:
        raise OutcomeImportError(f"{name} lacks column(s): {', '.join(missing)}.")


def _parse_rows(
    numbered: Iterable[tuple[int, dict[str, str | None]]],
) -> tuple[list[ParsedOutcome], list[str]]:
    rows: list[ParsedOutcome] = []
    problems: list[str] = []
    seen: set[tuple[uuid.UUID, int | None, date]] = set()
    for line, raw in numbered:
        try:
            row = _parse_row(raw)
        except ValueError as exc:
            problems.append(f"line {line}: {exc}")
            continue
        slot = (row.request_id, row.months_on_book, row.observed_at)
        if slot in seen:
            problems.append(
                f"line {line}: request_id {row.request_id} appears twice for the same "
                "months on book and date"
            )
        seen.add(slot)
        rows.append(row)
    return rows, problems


def _parse_row(raw: dict[str, str | None]) -> ParsedOutcome:
    text = {name: (raw.get(name) or "").strip() for name in (*REQUIRED, *STATUS_COLUMNS, *OPTIONAL)}
    try:
        request_id = uuid.UUID(text["request_id"])
    except ValueError:
        raise ValueError(f"request_id {text['request_id']!r} is not a UUID") from None
    try:
        observed_at = date.fromisoformat(text["observed_at"])
    except ValueError:
        raise ValueError(
            f"observed_at {text['observed_at']!r} is not a date (YYYY-MM-DD)"
        ) from None
    if not any(text[name] for name in STATUS_COLUMNS):
        raise ValueError(f"one of {', '.join(STATUS_COLUMNS)} must be given")
    return ParsedOutcome(
        request_id=request_id,
        defaulted=_defaulted(text["defaulted"]),
        observed_at=observed_at,
        days_past_due=_whole(text["days_past_due"], "days_past_due", MAX_DAYS_PAST_DUE),
        collectibility=_collectibility(text["collectibility"]),
        months_on_book=_whole(text["months_on_book"], "months_on_book", MAX_MONTHS_ON_BOOK),
    )


def _defaulted(value: str) -> bool | None:
    if not value:
        return None
    if value not in {"0", "1"}:
        raise ValueError(f"defaulted must be 0 or 1, not {value!r}")
    return value == "1"


def _whole(value: str, name: str, maximum: int) -> int | None:
    if not value:
        return None
    if not value.isascii() or not value.isdigit() or int(value) > maximum:
        raise ValueError(f"{name} must be a whole number from 0 to {maximum}, not {value!r}")
    return int(value)


def _collectibility(value: str) -> int | None:
    if not value:
        return None
    match = _KOL.match(value)
    if match is None:
        raise ValueError(f"collectibility must be a Kol grade 1 to 5, not {value!r}")
    return int(match.group(1))


def _refuse_unknown(*, ids: list[uuid.UUID]) -> None:
    known: set[uuid.UUID] = set()
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
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
