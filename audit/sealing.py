"""Sealing the audit trail into chained checkpoints, and verifying records and chain.

``audit_seal`` only reads records and inserts one checkpoint, so it never blocks scoring
(which only inserts records). Two sealers never fork the chain: a transaction-scoped
PostgreSQL advisory lock serialises them, and ``sequence`` / ``previous_hash`` are unique.
Records younger than ``KREDITAX_AUDIT_SEAL_DELAY_SECONDS`` are left for the next seal, so a
scoring transaction that stamped ``created_at`` but has not committed yet cannot land inside
a range that was already sealed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from audit.models import AuditCheckpoint, DecisionRecord
from audit.services import HASHED_FIELDS, content_hash

GENESIS_HASH = "0" * 64
#: An arbitrary constant naming the sealer's advisory lock.
SEAL_LOCK_KEY = 0x4B52_4458_5345_414C
CHUNK = 2000


def _records_in_order() -> QuerySet[DecisionRecord]:
    return DecisionRecord.objects.only("id", "content_hash", *HASHED_FIELDS).order_by(
        "created_at", "id"
    )


def _after(checkpoint: AuditCheckpoint | None) -> Q:
    if checkpoint is None:
        return Q()
    last = checkpoint.last_created_at
    return Q(created_at__gt=last) | Q(created_at=last, id__gt=checkpoint.last_record_id)


def _up_to(checkpoint: AuditCheckpoint) -> Q:
    last = checkpoint.last_created_at
    return Q(created_at__lt=last) | Q(created_at=last, id__lte=checkpoint.last_record_id)


def checkpoint_hash(checkpoint: AuditCheckpoint) -> str:
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
    _lock()
    previous = AuditCheckpoint.objects.order_by("-sequence").first()
    delay = timedelta(seconds=settings.KREDITAX_AUDIT_SEAL_DELAY_SECONDS)
    now = now or timezone.now()
    pending = (
        DecisionRecord.objects.filter(_after(previous), created_at__lte=now - delay)
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
    checkpoint = AuditCheckpoint(
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
    """The outcome of ``audit_verify``: every record and checkpoint was checked.

    ``problems`` names the first ``MAX_LISTED_PROBLEMS`` things that do not hold, in the
    order found; ``problem_count`` counts all of them.
    """

    records_checked: int
    checkpoints_checked: int
    problems: tuple[str, ...] = ()
    problem_count: int = 0

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


def _check_records(records: QuerySet[DecisionRecord], problems: _Problems) -> Iterator[str]:
    """Yield each record's stored hash, noting each that differs from the recomputed one.

    The stored hash is what a checkpoint sealed, so an altered record is reported once (here),
    and its checkpoint still holds unless the stored hash itself was changed.
    """
    for record in records.iterator(chunk_size=CHUNK):
        if content_hash(record) != record.content_hash:
            problems.add(f"record {record.request_id} does not match its content hash")
        yield record.content_hash


def _check_checkpoint(
    checkpoint: AuditCheckpoint,
    previous: AuditCheckpoint | None,
    expected_sequence: int,
    problems: _Problems,
) -> int:
    """Check one checkpoint, its link to ``previous`` and the records it sealed; returns how
    many records it covers now."""
    name = f"checkpoint {checkpoint.sequence}"
    if checkpoint.sequence != expected_sequence:
        missing = range(expected_sequence, checkpoint.sequence)
        problems.add(", ".join(f"checkpoint {n} is missing" for n in missing))
    if checkpoint_hash(checkpoint) != checkpoint.checkpoint_hash:
        problems.add(f"{name} does not match its own hash")
    wanted = previous.checkpoint_hash if previous else GENESIS_HASH
    if checkpoint.previous_hash != wanted:
        problems.add(f"{name} does not chain to the checkpoint before it")
    records = _records_in_order().filter(_after(previous)).filter(_up_to(checkpoint))
    digest, count = hashlib.sha256(), 0
    for record_hash in _check_records(records, problems):
        digest.update(f"{record_hash}\n".encode("ascii"))
        count += 1
    if count != checkpoint.record_count:
        problems.add(f"{name} sealed {checkpoint.record_count} records, {count} remain")
    elif digest.hexdigest() != checkpoint.records_digest:
        problems.add(f"{name} does not match the records it sealed")
    return count


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def audit_verify(*, since: date | None = None) -> Verification:
    """Recompute every record hash and every checkpoint (and the chain) from ``since`` on,
    and report everything that does not hold (it never stops at the first).

    Checkpoints ending before ``since`` are skipped, except the one just before, whose
    stored hash the first checked checkpoint must chain to.
    """
    checkpoints = AuditCheckpoint.objects.order_by("sequence")
    previous: AuditCheckpoint | None = None
    if since is not None:
        previous = checkpoints.filter(last_created_at__lt=_start_of(since)).last()
        checkpoints = checkpoints.filter(sequence__gt=previous.sequence if previous else 0)
    problems = _Problems()
    records_checked = checkpoints_checked = 0
    for checkpoint in checkpoints.iterator(chunk_size=CHUNK):
        expected = previous.sequence + 1 if previous else 1
        records_checked += _check_checkpoint(checkpoint, previous, expected, problems)
        checkpoints_checked += 1
        previous = checkpoint
    for _ in _check_records(_records_in_order().filter(_after(previous)), problems):
        records_checked += 1
    return Verification(
        records_checked, checkpoints_checked, tuple(problems.listed), problems.count
    )
