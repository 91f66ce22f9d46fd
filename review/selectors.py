"""Reads for the review queue, the case page and the decision status API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict

from django.db.models import QuerySet
from django.utils import timezone

from audit.events import audit_event_secret, audit_events_of, final_decision
from audit.models import AuditEvent, DecisionRecord
from review.models import ReviewCase


class CaseDict(TypedDict):
    id: int
    kind: str
    status: str
    opened_at: str
    deadline: str
    final_decision: str | None


class EventDict(TypedDict, total=False):
    sequence: int
    kind: str
    at: str
    payload: dict[str, Any]
    actor: str  # for people only (compliance, credit officers), never for a loan system
    note: str | None  # decrypted, for people only


class DecisionStatusDict(TypedDict):
    request_id: str
    recorded_decision: str
    final_decision: str
    decided_at: str
    open_case: CaseDict | None
    events: list[EventDict]


def case_dict(case: ReviewCase) -> CaseDict:
    return {
        "id": case.pk,
        "kind": case.kind,
        "status": case.status,
        "opened_at": case.opened_at.isoformat(),
        "deadline": case.deadline.isoformat(),
        "final_decision": case.final_decision or None,
    }


def event_dict(event: AuditEvent, *, for_people: bool) -> EventDict:
    shown: EventDict = {
        "sequence": event.sequence,
        "kind": event.kind,
        "at": event.created_at.isoformat(),
        "payload": dict(event.payload),
    }
    if for_people:
        shown["actor"] = event.actor_name
        shown["note"] = audit_event_secret(event)
    return shown


def open_case(record: DecisionRecord) -> ReviewCase | None:
    return record.review_cases.exclude(status=ReviewCase.Status.RESOLVED).first()


def decision_status(*, record: DecisionRecord, for_people: bool) -> DecisionStatusDict:
    """The application's outcome now, its open case and every event; notes and who acted
    only ``for_people`` (credit officers and compliance users), never for a loan system."""
    events = list(audit_events_of(record=record))
    case = open_case(record)
    return {
        "request_id": str(record.request_id),
        "recorded_decision": record.decision,
        "final_decision": final_decision(record=record, events=events),
        "decided_at": record.created_at.isoformat(),
        "open_case": case_dict(case) if case else None,
        "events": [event_dict(event, for_people=for_people) for event in events],
    }


@dataclass(frozen=True)
class QueueFilter:
    kind: str = ""
    client: str = ""
    grade: str = ""
    assignee: str = ""  # a username, or "-" for nobody


def review_queue(*, queue_filter: QueueFilter) -> QuerySet[ReviewCase]:
    """Cases not resolved yet, oldest first."""
    cases = (
        ReviewCase.objects.exclude(status=ReviewCase.Status.RESOLVED)
        .select_related("decision", "assignee")
        .order_by("opened_at", "id")
    )
    f = queue_filter
    if f.kind:
        cases = cases.filter(kind=f.kind)
    if f.client:
        cases = cases.filter(decision__client_name=f.client)
    if f.grade:
        cases = cases.filter(decision__risk_grade=f.grade)
    if f.assignee == "-":
        cases = cases.filter(assignee__isnull=True)
    elif f.assignee:
        cases = cases.filter(assignee__username=f.assignee)
    return cases


def time_left(case: ReviewCase, *, now: datetime | None = None) -> float:
    """Hours until the case's deadline (negative once it has passed)."""
    return (case.deadline - (now or timezone.now())).total_seconds() / 3600
