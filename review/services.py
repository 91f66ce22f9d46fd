"""Review cases: opening (REVIEW decisions, quality samples, objections), claiming,
resolving, and the four-eyes approval of a resolution that goes against the model.

Every step writes the case's row and appends an event to the decision's audit chain in one
transaction. Notes and statements go into the event encrypted, never into a row or a log.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.events import EventDraft, EventKind, audit_event_append, audit_events_start
from audit.models import DecisionRecord
from audit.services import RecordedDecision, decision_recorded_hook_register
from credit_ml.policy import RuleResultDict
from review.errors import (
    CaseConflict,
    CaseNotFound,
    HardRuleNotOverridable,
    InvalidResolution,
    ObjectionWindowClosed,
    StepRefused,
)
from review.models import ReviewCase

logger = logging.getLogger(__name__)

APPROVE, REJECT, REVIEW = "APPROVE", "REJECT", "REVIEW"
APPROVE_COUNTEROFFER = "APPROVE_COUNTEROFFER"
#: What a credit officer may decide.
FINAL_DECISIONS = (APPROVE, REJECT, APPROVE_COUNTEROFFER)
#: Rules nobody may override: the OJK's (the lender's own limits may be, with four eyes).
HARD_RULE_PREFIX = "OJK_"
#: The rule a counteroffer is made to meet (approving the counteroffer meets it).
COUNTEROFFER_RULE_KIND = "max_dsr"
NOTE_MAX_CHARS = 2000


def actor_name(user: Any) -> str:
    return f"user:{user.get_username()}"


# --------------------------------------------------------------------------------------
# Opening
# --------------------------------------------------------------------------------------


def deadline_of(kind: str, *, opened_at: datetime) -> datetime:
    hours = settings.KREDITAX_REVIEW_DEADLINE_HOURS[kind]
    return opened_at + timedelta(hours=hours)


def sampled(*, request_id: uuid.UUID, decision: str) -> bool:
    """Whether quality control picks this automated decision: a uniform number made from the
    request id (so the pick is repeatable and proves itself) below the outcome's rate."""
    rate = float(settings.KREDITAX_REVIEW_SAMPLE_RATES.get(decision, 0.0))
    if rate <= 0.0:
        return False
    digest = hashlib.sha256(b"kreditax-sample:" + request_id.bytes).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < rate


def kind_for(*, request_id: uuid.UUID, decision: str) -> str | None:
    """The kind of case a new decision opens, if any."""
    if decision == REVIEW:
        return ReviewCase.Kind.REVIEW
    if sampled(request_id=request_id, decision=decision):
        return ReviewCase.Kind.SAMPLE
    return None


def _opened_draft(case: ReviewCase, actor: str) -> EventDraft:
    payload = {"case": case.pk, "case_kind": case.kind, "deadline": case.deadline.isoformat()}
    return EventDraft(EventKind.CASE_OPENED, actor, payload)


def review_cases_open(*, records: Sequence[DecisionRecord]) -> list[ReviewCase]:
    """Open a REVIEW or SAMPLE case for each new record that needs one, with its first
    event, inside the transaction that wrote the records."""
    now = timezone.now()
    cases = []
    for record in records:
        kind = kind_for(request_id=record.request_id, decision=record.decision)
        if kind is not None:
            deadline = deadline_of(kind, opened_at=now)
            cases.append(ReviewCase(decision=record, kind=kind, opened_at=now, deadline=deadline))
    cases = ReviewCase.objects.bulk_create(cases)
    audit_events_start(items=[(c.decision, _opened_draft(c, "kreditax")) for c in cases], now=now)
    return cases


class CaseOpeningHook:
    """Registered with the audit trail in ``ReviewConfig.ready``."""

    def wants(self, decision: RecordedDecision) -> bool:
        return kind_for(request_id=decision.request_id, decision=decision.decision) is not None

    def recorded(self, records: Sequence[DecisionRecord]) -> None:
        review_cases_open(records=records)


CASE_OPENING = CaseOpeningHook()


def hooks_register() -> None:
    decision_recorded_hook_register(CASE_OPENING)


def open_case_of(record: DecisionRecord) -> ReviewCase | None:
    return (
        ReviewCase.objects.filter(decision=record)
        .exclude(status=ReviewCase.Status.RESOLVED)
        .first()
    )


def objection_open(
    *, record: DecisionRecord, actor: str, statement: str | None = None
) -> ReviewCase:
    """Open an objection case (UU PDP Art. 10) with its deadline; the applicant's statement
    is kept only encrypted, in the event. Another open case on the decision: ``CaseConflict``
    naming it."""
    now = timezone.now()
    last_day = timezone.localtime(record.created_at).date() + timedelta(
        days=settings.KREDITAX_OBJECTION_WINDOW_DAYS
    )
    if timezone.localdate(now) > last_day:
        raise ObjectionWindowClosed(f"The objection window closed on {last_day.isoformat()}.")
    try:
        with transaction.atomic():
            case = ReviewCase.objects.create(
                decision=record,
                kind=ReviewCase.Kind.OBJECTION,
                opened_at=now,
                deadline=deadline_of(ReviewCase.Kind.OBJECTION, opened_at=now),
            )
            draft = _opened_draft(case, actor)
            draft = EventDraft(draft.kind, actor, draft.payload, secret=statement or None)
            audit_event_append(record=record, draft=draft, now=now)
    except IntegrityError:
        existing = open_case_of(record)
        if existing is None:  # pragma: no cover - a constraint other than the open case
            raise
        raise CaseConflict(
            f"Case {existing.pk} ({existing.kind}) is already open on this decision."
        ) from None
    logger.info("Objection case %s opened on decision %s", case.pk, record.request_id)
    return case


# --------------------------------------------------------------------------------------
# Claiming, resolving, approving
# --------------------------------------------------------------------------------------


def _locked(case_id: int) -> ReviewCase:
    case = ReviewCase.objects.select_for_update().select_related("decision").filter(pk=case_id)
    found = case.first()
    if found is None:
        raise CaseNotFound(f"No review case {case_id}.")
    return found


def _append(
    case: ReviewCase, kind: EventKind, user: Any, secret: str | None = None, **payload: Any
) -> None:
    draft = EventDraft(kind, actor_name(user), {"case": case.pk, **payload}, secret=secret)
    audit_event_append(record=case.decision, draft=draft)


def _claim(case: ReviewCase, user: Any) -> None:
    if case.status == ReviewCase.Status.CLAIMED and case.assignee_id == user.pk:
        return
    if case.status != ReviewCase.Status.OPEN:
        holder = case.assignee.get_username() if case.assignee else "nobody"
        raise CaseConflict(f"Case {case.pk} is {case.status.lower()} (held by {holder}).")
    case.status, case.assignee = ReviewCase.Status.CLAIMED, user
    case.save(update_fields=["status", "assignee"])
    _append(case, EventKind.CASE_CLAIMED, user)


@transaction.atomic
def case_claim(*, case_id: int, user: Any) -> ReviewCase:
    """Take an open case; a case held by someone else is a ``CaseConflict``."""
    case = _locked(case_id)
    _claim(case, user)
    return case


def blocking_rules(record: DecisionRecord, decision: str) -> list[RuleResultDict]:
    """The OJK rules in force that failed and that approving with ``decision`` would break
    (approving the counteroffer meets the repayment-to-income cap it was made for)."""
    if decision == REJECT:
        return []
    return [
        rule
        for rule in record.policy
        if rule["state"] == "failed"
        and rule["code"].startswith(HARD_RULE_PREFIX)
        and not (decision == APPROVE_COUNTEROFFER and rule["kind"] == COUNTEROFFER_RULE_KIND)
    ]


def against_the_model(record: DecisionRecord, decision: str) -> bool:
    """APPROVE where the model or a rule said REJECT, or REJECT where they said APPROVE."""
    approving = decision in (APPROVE, APPROVE_COUNTEROFFER)
    return (approving and record.decision == REJECT) or (
        decision == REJECT and record.decision == APPROVE
    )


def _validate(record: DecisionRecord, decision: str, reason_code: str, note: str) -> None:
    fields: dict[str, list[str]] = {}
    if decision not in FINAL_DECISIONS:
        fields["decision"] = [f"Must be one of {', '.join(FINAL_DECISIONS)}."]
    elif decision == APPROVE_COUNTEROFFER and not record.counteroffer:
        fields["decision"] = ["This decision has no counteroffer."]
    if reason_code not in settings.KREDITAX_REVIEW_REASON_CODES:
        codes = ", ".join(settings.KREDITAX_REVIEW_REASON_CODES)
        fields["reason_code"] = [f"Must be one of {codes}."]
    if len(note) > NOTE_MAX_CHARS:
        fields["note"] = [f"At most {NOTE_MAX_CHARS} characters."]
    if fields:
        raise InvalidResolution("The resolution is invalid.", fields=fields)
    blocking = blocking_rules(record, decision)
    if blocking:
        rule = blocking[0]
        raise HardRuleNotOverridable(
            f"{rule['code']} cannot be overridden: it is an OJK rule in force and it failed "
            f"({rule['message_en']}).",
            fields={"decision": [f"{rule['code']}: {rule['message_en']}"]},
        )


@transaction.atomic
def case_resolve(
    *, case_id: int, user: Any, decision: str, reason_code: str, note: str = ""
) -> ReviewCase:
    """Resolve a case with a final decision, a reason code and a note (encrypted).

    A resolution against the model waits for a second officer (``AWAITING_APPROVAL``);
    the others take effect at once. An open case is claimed first.
    """
    case = _locked(case_id)
    record = case.decision
    _validate(record, decision, reason_code, note)
    _claim(case, user)
    facts = {"decision": decision, "reason_code": reason_code, "model_decision": record.decision}
    if against_the_model(record, decision):
        case.status = ReviewCase.Status.AWAITING_APPROVAL
        case.proposed_by, case.proposed_decision = user, decision
        case.proposed_reason_code = reason_code
        case.save(
            update_fields=["status", "proposed_by", "proposed_decision", "proposed_reason_code"]
        )
        _append(case, EventKind.RESOLUTION_PROPOSED, user, note or None, **facts)
        return case
    _finish(case, decision)
    _append(case, EventKind.CASE_RESOLVED, user, note or None, **facts)
    return case


def _finish(case: ReviewCase, decision: str) -> None:
    case.status, case.final_decision = ReviewCase.Status.RESOLVED, decision
    case.resolved_at = timezone.now()
    case.save(update_fields=["status", "final_decision", "resolved_at"])


@transaction.atomic
def case_approve(*, case_id: int, user: Any, approve: bool, note: str = "") -> ReviewCase:
    """A second officer approves (it takes effect) or refuses (the case goes back to the
    officer who proposed it) a resolution against the model; nobody approves their own."""
    case = _locked(case_id)
    if case.status != ReviewCase.Status.AWAITING_APPROVAL:
        raise CaseConflict(f"Case {case.pk} has no resolution awaiting approval.")
    if case.proposed_by_id == user.pk:
        raise StepRefused("Nobody approves their own override: a second officer must.")
    if len(note) > NOTE_MAX_CHARS:
        raise InvalidResolution(
            "The approval is invalid.", fields={"note": [f"At most {NOTE_MAX_CHARS} characters."]}
        )
    facts = {
        "decision": case.proposed_decision,
        "reason_code": case.proposed_reason_code,
        "proposed_by": actor_name(case.proposed_by),
    }
    if approve:
        _finish(case, case.proposed_decision)
        _append(case, EventKind.RESOLUTION_APPROVED, user, note or None, **facts)
        return case
    case.status = ReviewCase.Status.CLAIMED
    case.proposed_by, case.proposed_decision, case.proposed_reason_code = None, "", ""
    case.save(update_fields=["status", "proposed_by", "proposed_decision", "proposed_reason_code"])
    _append(case, EventKind.RESOLUTION_REFUSED, user, note or None, **facts)
    return case
