"""Events that follow a decision record: review cases, objections, letters (append-only).

What happens to a decision after it was made is written here, never into the record: each
event is appended to the decision's own chain (``sequence`` 1, 2, ...; ``previous_hash`` the
content hash of the event before, of the decision record for the first), hashed, and sealed
into event checkpoints by ``audit.sealing``. Free text that may hold personal data (an
officer's note, an applicant's statement) is encrypted with the replay inputs' keys and
never enters ``payload`` or a log line.

The final outcome of an application is the last *effective* event's decision (a resolution
that took effect), else the recorded decision.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from django.db import connections, router
from django.db.models import QuerySet
from django.utils import timezone

from audit import crypto
from audit.models import AuditEvent, DecisionRecord

#: Fields hashed into an event's ``content_hash``. Adding one is a new hash version.
EVENT_HASHED_FIELDS = (
    "decision_id",
    "sequence",
    "kind",
    "actor_name",
    "created_at",
    "payload",
    "secret_encrypted",
    "secret_key_id",
    "previous_hash",
)


class EventKind(StrEnum):
    CASE_OPENED = "CASE_OPENED"
    CASE_CLAIMED = "CASE_CLAIMED"
    CASE_RESOLVED = "CASE_RESOLVED"
    RESOLUTION_PROPOSED = "RESOLUTION_PROPOSED"
    RESOLUTION_APPROVED = "RESOLUTION_APPROVED"
    RESOLUTION_REFUSED = "RESOLUTION_REFUSED"
    LETTER_ISSUED = "LETTER_ISSUED"


#: Events whose ``payload["decision"]`` is the application's outcome from then on.
EFFECTIVE_KINDS = frozenset({EventKind.CASE_RESOLVED, EventKind.RESOLUTION_APPROVED})


@dataclass(frozen=True)
class EventDraft:
    """An event to append: ``payload`` holds no personal data; ``secret`` is free text that
    may (it is stored encrypted only)."""

    kind: EventKind
    actor_name: str
    payload: Mapping[str, Any]
    secret: str | None = None


def event_content(event: AuditEvent) -> dict[str, Any]:
    content = {name: getattr(event, name) for name in EVENT_HASHED_FIELDS}
    content["created_at"] = event.created_at.astimezone(UTC).isoformat()
    return content


def event_content_hash(event: AuditEvent) -> str:
    """SHA-256 of the event's canonical JSON (sorted keys, no whitespace)."""
    payload = crypto.canonical_json(event_content(event))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def event_name(event: AuditEvent) -> str:
    """How verification names an event: its decision's request id, place and kind."""
    return f"event {event.decision.request_id} #{event.sequence} ({event.kind})"


def _event(
    record: DecisionRecord, draft: EventDraft, *, sequence: int, previous: str, now: datetime
) -> AuditEvent:
    secret, key_id = "", ""
    if draft.secret:
        cipher = crypto.cipher()
        secret, key_id = cipher.encrypt({"text": draft.secret}), cipher.key_id
    event = AuditEvent(
        decision=record,
        sequence=sequence,
        kind=str(draft.kind),
        actor_name=draft.actor_name,
        created_at=now,
        payload=dict(draft.payload),
        secret_encrypted=secret,
        secret_key_id=key_id,
        previous_hash=previous,
    )
    event.content_hash = event_content_hash(event)
    return event


def _require_atomic() -> None:
    if not connections[router.db_for_write(AuditEvent)].in_atomic_block:
        raise RuntimeError("Audit events must be appended inside transaction.atomic().")


def audit_event_append(
    *, record: DecisionRecord, draft: EventDraft, now: datetime | None = None
) -> AuditEvent:
    """Append one event to ``record``'s chain, inside the caller's transaction.

    The decision record's row is locked (``SELECT ... FOR UPDATE``; it is never updated), so
    two appends to one chain are serialised; the unique ``(decision, sequence)`` refuses a
    fork on any database.
    """
    _require_atomic()
    DecisionRecord.objects.select_for_update().filter(pk=record.pk).values_list("pk").get()
    last = record.events.order_by("-sequence").only("sequence", "content_hash").first()
    event = _event(
        record,
        draft,
        sequence=last.sequence + 1 if last else 1,
        previous=last.content_hash if last else record.content_hash,
        now=now or timezone.now(),
    )
    event.save()
    return event


def audit_events_start(
    *, items: Sequence[tuple[DecisionRecord, EventDraft]], now: datetime | None = None
) -> list[AuditEvent]:
    """The first event of each of ``items``' records, written just after them in the same
    transaction (so no other event can exist yet): one INSERT for all."""
    _require_atomic()
    now = now or timezone.now()
    events = [
        _event(record, draft, sequence=1, previous=record.content_hash, now=now)
        for record, draft in items
    ]
    return AuditEvent.objects.bulk_create(events)


def audit_event_secret(event: AuditEvent) -> str | None:
    """The decrypted free text of an event (for credit officers and compliance), or None."""
    if not event.secret_encrypted:
        return None
    return str(crypto.cipher().decrypt(event.secret_encrypted)["text"])


def audit_events_of(*, record: DecisionRecord) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(decision=record).order_by("sequence")


def final_decision(*, record: DecisionRecord, events: Sequence[AuditEvent]) -> str:
    """The application's outcome now: the last effective event's decision, else the record's."""
    for event in reversed(events):
        if event.kind in EFFECTIVE_KINDS:
            return str(event.payload["decision"])
    return record.decision


def human_decisions(*, records: QuerySet[DecisionRecord]) -> dict[uuid.UUID, tuple[str, bool]]:
    """Request id -> (the final decision a person made, whether it needed a second officer's
    approval) for those of ``records`` a person decided (an effective event); one query."""
    found: dict[uuid.UUID, tuple[str, bool]] = {}
    proposed: set[uuid.UUID] = set()
    events = (
        AuditEvent.objects.filter(decision__in=records)
        .order_by("decision_id", "sequence")
        .values_list("decision__request_id", "kind", "payload")
    )
    for request_id, kind, payload in events.iterator(chunk_size=2000):
        if kind == EventKind.RESOLUTION_PROPOSED:
            proposed.add(request_id)
        elif kind in EFFECTIVE_KINDS:
            found[request_id] = (str(payload["decision"]), request_id in proposed)
    return found


def event_chain_problems(*, since: datetime | None = None) -> Iterator[str]:
    """Each break in a decision's chain of events: a missing or repeated place, or an event
    whose ``previous_hash`` is not the stored hash before it. With ``since``, only chains
    with an event from then on (each checked whole)."""
    events = AuditEvent.objects.all()
    if since is not None:
        touched = AuditEvent.objects.filter(created_at__gte=since).values("decision_id")
        events = events.filter(decision_id__in=touched)
    rows = events.order_by("decision_id", "sequence").values_list(
        "decision_id",
        "decision__request_id",
        "decision__content_hash",
        "sequence",
        "kind",
        "previous_hash",
        "content_hash",
    )
    current, expected, previous = None, 1, ""
    for decision_id, request_id, record_hash, sequence, kind, previous_hash, own in rows.iterator(
        chunk_size=2000
    ):
        if decision_id != current:
            current, expected, previous = decision_id, 1, record_hash
        name = f"event {request_id} #{sequence} ({kind})"
        if sequence != expected:
            yield f"{name} is out of place: #{expected} expected (an event is missing)"
        if previous_hash != previous:
            yield f"{name} does not chain to the event before it"
        expected, previous = sequence + 1, own
