"""Sealing the audit trail into chained checkpoints, and verifying records and chain.

Two trails are sealed the same way: decision records (``AuditCheckpoint``) and the events
that follow them (``AuditEventCheckpoint``: review cases, objections, letters). ``audit_seal``
only reads records and inserts one checkpoint, so it never blocks scoring (which only inserts
records). Two sealers never fork a chain: a transaction-scoped PostgreSQL advisory lock
serialises them, and ``sequence`` / ``previous_hash`` are unique. Rows younger than
``KREDITAX_AUDIT_SEAL_DELAY_SECONDS`` are left for the next seal, so a transaction that
stamped ``created_at`` but has not committed yet cannot land inside a range already sealed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from audit.events import EVENT_HASHED_FIELDS, event_chain_problems, event_content_hash, event_name
from audit.models import AuditCheckpoint, AuditEvent, AuditEventCheckpoint, DecisionRecord
from audit.services import HASHED_FIELDS, content_hash

GENESIS_HASH = "0" * 64
#: An arbitrary constant naming the sealer's advisory lock.
SEAL_LOCK_KEY = 0x4B52_4458_5345_414C
CHUNK = 2000

#: Either kind of checkpoint: decision records' or events' (the same fields).
Checkpoint = AuditCheckpoint | AuditEventCheckpoint


def _record_name(record: DecisionRecord) -> str:
    return f"record {record.request_id}"


@dataclass(frozen=True)
class _Trail:
    """One sealed sequence of rows: decision records, or the events that follow them."""

    rows: type[DecisionRecord] | type[AuditEvent]
    checkpoints: type[AuditCheckpoint] | type[AuditEventCheckpoint]
    hashed: tuple[str, ...]
    hash_of: Callable[[Any], str]
    name_of: Callable[[Any], str]
    checkpoint_noun: str

    def in_order(self) -> QuerySet[Any]:
        rows: QuerySet[Any] = self.rows.objects.all()
        if self.rows is AuditEvent:
            rows = rows.select_related("decision")
        return rows.only("id", "content_hash", *self.hashed).order_by("created_at", "id")


RECORDS = _Trail(
    DecisionRecord, AuditCheckpoint, HASHED_FIELDS, content_hash, _record_name, "checkpoint"
)
EVENTS = _Trail(
    AuditEvent,
    AuditEventCheckpoint,
    (*EVENT_HASHED_FIELDS, "decision__request_id"),
    event_content_hash,
    event_name,
    "event checkpoint",
)


def _records_in_order() -> QuerySet[DecisionRecord]:
    return RECORDS.in_order()


def _after(checkpoint: Checkpoint | None) -> Q:
    if checkpoint is None:
        return Q()
    last = checkpoint.last_created_at
    return Q(created_at__gt=last) | Q(created_at=last, id__gt=checkpoint.last_record_id)


def _up_to(checkpoint: Checkpoint) -> Q:
    last = checkpoint.last_created_at
    return Q(created_at__lt=last) | Q(created_at=last, id__lte=checkpoint.last_record_id)


def checkpoint_hash(checkpoint: Checkpoint) -> str:
    """SHA-256 of the checkpoint's canonical JSON (every field but its own hash and id)."""
    content = {
        "sequence": checkpoint.sequence,
        "first_record_id": checkpoint.first_record_id,
        "last_record_id": checkpoint.last_record_id,
        "last_created_at": checkpoint.last_created_at.astimezone(UTC).isoformat(),
        "record_count": checkpoint.record_count,
        "records_digest": checkpoint.records_digest,
        "previous_hash": checkpoint.previous_hash,
        "created_at": checkpoint.created_at.astimezone(UTC).isoformat(),
    }
    payload = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEAL_LOCK_KEY])


@transaction.atomic
def audit_seal(*, now: datetime | None = None) -> AuditCheckpoint | None:
    """Seal every settled record after the last checkpoint; ``None`` when there is none."""
    sealed = _seal(RECORDS, now=now)
    return sealed if isinstance(sealed, AuditCheckpoint) else None


@transaction.atomic
def audit_events_seal(*, now: datetime | None = None) -> AuditEventCheckpoint | None:
    """Seal every settled event after the last event checkpoint; ``None`` when there is none."""
    sealed = _seal(EVENTS, now=now)
    return sealed if isinstance(sealed, AuditEventCheckpoint) else None


def _seal(trail: _Trail, *, now: datetime | None) -> Checkpoint | None:
    _lock()
    previous: Checkpoint | None = trail.checkpoints.objects.order_by("-sequence").first()
    delay = timedelta(seconds=settings.KREDITAX_AUDIT_SEAL_DELAY_SECONDS)
    now = now or timezone.now()
    pending = (
        trail.rows.objects.filter(_after(previous), created_at__lte=now - delay)
        .order_by("created_at", "id")
        .values_list("id", "created_at", "content_hash")
    )
    digest, count, first, last = hashlib.sha256(), 0, None, None
    for record_id, created_at, record_hash in pending.iterator(chunk_size=CHUNK):
        digest.update(f"{record_hash}\n".encode("ascii"))
        count += 1
        first = first if first is not None else record_id
        last = (record_id, created_at)
    if first is None or last is None:
        return None
    checkpoint = trail.checkpoints(
        sequence=previous.sequence + 1 if previous else 1,
        first_record_id=first,
        last_record_id=last[0],
        last_created_at=last[1],
        record_count=count,
        records_digest=digest.hexdigest(),
        previous_hash=previous.checkpoint_hash if previous else GENESIS_HASH,
        created_at=now,
    )
    checkpoint.checkpoint_hash = checkpoint_hash(checkpoint)
    checkpoint.save()
    return checkpoint


# --------------------------------------------------------------------------------------
# Verification
# --------------------------------------------------------------------------------------


#: Problems listed by name at most; all of them are counted.
MAX_LISTED_PROBLEMS = 100


@dataclass(frozen=True)
class Verification:
    """The outcome of ``audit_verify``: every record, event and checkpoint was checked.

    ``problems`` names the first ``MAX_LISTED_PROBLEMS`` things that do not hold, in the
    order found; ``problem_count`` counts all of them.
    """

    records_checked: int
    checkpoints_checked: int
    problems: tuple[str, ...] = ()
    problem_count: int = 0
    events_checked: int = 0
    event_checkpoints_checked: int = 0

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    @property
    def problem(self) -> str | None:
        """The first problem found, or None."""
        return self.problems[0] if self.problems else None

    def to_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "records_checked": self.records_checked,
            "checkpoints_checked": self.checkpoints_checked,
            "events_checked": self.events_checked,
            "event_checkpoints_checked": self.event_checkpoints_checked,
            "problem": self.problem,
            "problems": list(self.problems),
            "problem_count": self.problem_count,
        }


class _Problems:
    """Collects what does not hold: lists the first ones, counts all."""

    def __init__(self) -> None:
        self.listed: list[str] = []
        self.count = 0

    def add(self, problem: str) -> None:
        self.count += 1
        if len(self.listed) < MAX_LISTED_PROBLEMS:
            self.listed.append(problem)


def _check_records(trail: _Trail, rows: QuerySet[Any], problems: _Problems) -> Iterator[str]:
    """Yield each row's stored hash, noting each that differs from the recomputed one.

    The stored hash is what a checkpoint sealed, so an altered row is reported once (here),
    and its checkpoint still holds unless the stored hash itself was changed.
    """
    for row in rows.iterator(chunk_size=CHUNK):
        if trail.hash_of(row) != row.content_hash:
            problems.add(f"{trail.name_of(row)} does not match its content hash")
        yield row.content_hash


def _check_checkpoint(
    trail: _Trail,
    checkpoint: Checkpoint,
    previous: Checkpoint | None,
    expected_sequence: int,
    problems: _Problems,
) -> int:
    """Check one checkpoint, its link to ``previous`` and the rows it sealed; returns how
    many rows it covers now."""
    noun = trail.checkpoint_noun
    name = f"{noun} {checkpoint.sequence}"
    if checkpoint.sequence != expected_sequence:
        missing = range(expected_sequence, checkpoint.sequence)
        problems.add(", ".join(f"{noun} {n} is missing" for n in missing))
    if checkpoint_hash(checkpoint) != checkpoint.checkpoint_hash:
        problems.add(f"{name} does not match its own hash")
    wanted = previous.checkpoint_hash if previous else GENESIS_HASH
    if checkpoint.previous_hash != wanted:
        problems.add(f"{name} does not chain to the {noun} before it")
    rows = trail.in_order().filter(_after(previous)).filter(_up_to(checkpoint))
    digest, count = hashlib.sha256(), 0
    for row_hash in _check_records(trail, rows, problems):
        digest.update(f"{row_hash}\n".encode("ascii"))
        count += 1
    if count != checkpoint.record_count:
        what = "records" if trail is RECORDS else "events"
        problems.add(f"{name} sealed {checkpoint.record_count} {what}, {count} remain")
    elif digest.hexdigest() != checkpoint.records_digest:
        what = "records" if trail is RECORDS else "events"
        problems.add(f"{name} does not match the {what} it sealed")
    return count


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def _verify_trail(trail: _Trail, since: date | None, problems: _Problems) -> tuple[int, int]:
    """Check one trail from ``since`` on; returns (rows, checkpoints) checked."""
    checkpoints = trail.checkpoints.objects.order_by("sequence")
    previous: Checkpoint | None = None
    if since is not None:
        previous = checkpoints.filter(last_created_at__lt=_start_of(since)).last()
        checkpoints = checkpoints.filter(sequence__gt=previous.sequence if previous else 0)
    rows_checked = checkpoints_checked = 0
    for checkpoint in checkpoints.iterator(chunk_size=CHUNK):
        expected = previous.sequence + 1 if previous else 1
        rows_checked += _check_checkpoint(trail, checkpoint, previous, expected, problems)
        checkpoints_checked += 1
        previous = checkpoint
    for _ in _check_records(trail, trail.in_order().filter(_after(previous)), problems):
        rows_checked += 1
    return rows_checked, checkpoints_checked


def audit_verify(*, since: date | None = None) -> Verification:
    """Recompute every record and event hash, every checkpoint (and their chains) and every
    decision's chain of events, from ``since`` on, and report everything that does not hold
    (it never stops at the first).

    Checkpoints ending before ``since`` are skipped, except the one just before, whose
    stored hash the first checked checkpoint must chain to.
    """
    problems = _Problems()
    records, checkpoints = _verify_trail(RECORDS, since, problems)
    events, event_checkpoints = _verify_trail(EVENTS, since, problems)
    for problem in event_chain_problems(since=_start_of(since) if since else None):
        problems.add(problem)
    return Verification(
        records,
        checkpoints,
        tuple(problems.listed),
        problems.count,
        events_checked=events,
        event_checkpoints_checked=event_checkpoints,
    )
