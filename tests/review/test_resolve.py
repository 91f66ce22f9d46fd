"""Resolving a case: reason codes, four eyes for overrides, hard OJK rules never overridden."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from audit.events import audit_events_of, final_decision, human_decisions
from audit.models import AuditEvent, DecisionRecord
from credit_ml.monitoring import override_rate
from review.errors import CaseConflict, HardRuleNotOverridable, InvalidResolution, StepRefused
from review.models import ReviewCase
from review.services import case_approve, case_claim, case_resolve, objection_open
from tests.review.conftest import OVER_CAP, RISKY, Decide
from tests.scoring.support import VALID


def _events(case: ReviewCase) -> list[str]:
    return [e.kind for e in audit_events_of(record=case.decision)]


def test_a_resolution_with_the_model_takes_effect_at_once(decide: Decide, ani: User) -> None:
    decide(RISKY)
    case = ReviewCase.objects.get()
    case = case_resolve(
        case_id=case.pk, user=ani, decision="REJECT", reason_code="INSUFFICIENT_CAPACITY"
    )
    case.refresh_from_db()
    assert (case.status, case.final_decision, case.assignee) == ("RESOLVED", "REJECT", ani)
    assert _events(case) == ["CASE_OPENED", "CASE_CLAIMED", "CASE_RESOLVED"]
    events = list(audit_events_of(record=case.decision))
    assert final_decision(record=case.decision, events=events) == "REJECT"


def test_an_unknown_reason_code_is_refused_and_nothing_is_written(
    decide: Decide, ani: User
) -> None:
    decide(RISKY)
    case = ReviewCase.objects.get()
    with pytest.raises(InvalidResolution) as raised:
        case_resolve(case_id=case.pk, user=ani, decision="REJECT", reason_code="BECAUSE")
    assert list(raised.value.fields) == ["reason_code"]
    case.refresh_from_db()
    assert (case.status, case.assignee, AuditEvent.objects.count()) == ("OPEN", None, 1)


def test_a_case_claimed_by_one_officer_cannot_be_resolved_by_another(
    decide: Decide, ani: User, budi: User
) -> None:
    decide(RISKY)
    case = case_claim(case_id=ReviewCase.objects.get().pk, user=ani)
    with pytest.raises(CaseConflict, match=f"Case {case.pk} is claimed \\(held by ani\\)"):
        case_resolve(case_id=case.pk, user=budi, decision="REJECT", reason_code="POLICY_CONFIRMED")
    assert AuditEvent.objects.count() == 2


def _objected_approval(decide: Decide) -> ReviewCase:
    """An automated APPROVE the applicant objects to (so a person may reject it)."""
    record = decide(VALID)
    assert record.decision == "APPROVE"
    return objection_open(record=record, actor="client:los-fintech")


def test_an_override_waits_for_a_second_officer_who_is_not_the_first(
    decide: Decide, ani: User, budi: User
) -> None:
    case = _objected_approval(decide)
    case = case_resolve(
        case_id=case.pk, user=ani, decision="REJECT", reason_code="DATA_INCONSISTENT", note="x"
    )
    assert (case.status, case.proposed_decision, case.final_decision) == (
        "AWAITING_APPROVAL",
        "REJECT",
        "",
    )
    events = list(audit_events_of(record=case.decision))
    assert final_decision(record=case.decision, events=events) == "APPROVE"
    with pytest.raises(StepRefused, match="Nobody approves their own override"):
        case_approve(case_id=case.pk, user=ani, approve=True)
    assert AuditEvent.objects.count() == 3
    case = case_approve(case_id=case.pk, user=budi, approve=True)
    case.refresh_from_db()
    assert (case.status, case.final_decision) == ("RESOLVED", "REJECT")
    events = list(audit_events_of(record=case.decision))
    assert [(e.kind, e.actor_name) for e in events] == [
        ("CASE_OPENED", "client:los-fintech"),
        ("CASE_CLAIMED", "user:ani"),
        ("RESOLUTION_PROPOSED", "user:ani"),
        ("RESOLUTION_APPROVED", "user:budi"),
    ]
    assert events[-1].payload == {
        "case": case.pk,
        "decision": "REJECT",
        "reason_code": "DATA_INCONSISTENT",
        "proposed_by": "user:ani",
    }
    assert final_decision(record=case.decision, events=events) == "REJECT"


def test_a_refused_override_goes_back_to_its_officer(decide: Decide, ani: User, budi: User) -> None:
    case = _objected_approval(decide)
    case_resolve(case_id=case.pk, user=ani, decision="REJECT", reason_code="DATA_INCONSISTENT")
    case = case_approve(case_id=case.pk, user=budi, approve=False, note="lihat lagi")
    case.refresh_from_db()
    assert (case.status, case.assignee, case.proposed_by, case.final_decision) == (
        "CLAIMED",
        ani,
        None,
        "",
    )
    assert _events(case)[-1] == "RESOLUTION_REFUSED"
    events = list(audit_events_of(record=case.decision))
    assert final_decision(record=case.decision, events=events) == "APPROVE"


def test_a_failed_ojk_rule_in_force_cannot_be_overridden_by_anyone(
    decide: Decide, ani: User
) -> None:
    record = decide(OVER_CAP)
    assert record.failed_rules == ["OJK_MAX_REPAYMENT_TO_INCOME"]
    case = objection_open(record=record, actor="client:los-fintech")
    with pytest.raises(HardRuleNotOverridable) as raised:
        case_resolve(case_id=case.pk, user=ani, decision="APPROVE", reason_code="VERIFIED_INCOME")
    assert raised.value.message.startswith(
        "OJK_MAX_REPAYMENT_TO_INCOME cannot be overridden: it is an OJK rule in force and it "
        "failed ("
    )
    case.refresh_from_db()
    assert (case.status, AuditEvent.objects.count()) == ("OPEN", 1)


def test_approving_the_counteroffer_meets_the_cap_but_still_needs_four_eyes(
    decide: Decide, ani: User, budi: User
) -> None:
    record = decide(OVER_CAP)
    assert record.counteroffer is not None
    case = objection_open(record=record, actor="client:los-fintech")
    case = case_resolve(
        case_id=case.pk, user=ani, decision="APPROVE_COUNTEROFFER", reason_code="VERIFIED_INCOME"
    )
    assert case.status == "AWAITING_APPROVAL"
    case = case_approve(case_id=case.pk, user=budi, approve=True)
    assert (case.status, case.final_decision) == ("RESOLVED", "APPROVE_COUNTEROFFER")


def test_a_second_objection_while_one_is_open_names_the_open_case(decide: Decide) -> None:
    record = decide(VALID)
    first = objection_open(record=record, actor="client:los-fintech")
    with pytest.raises(CaseConflict, match=f"Case {first.pk} \\(OBJECTION\\) is already open"):
        objection_open(record=record, actor="client:los-fintech", statement="lagi")
    assert (ReviewCase.objects.count(), AuditEvent.objects.count()) == (1, 1)


def test_what_people_decided_is_read_for_monitoring_with_the_overrides(
    decide: Decide, ani: User, budi: User
) -> None:
    overridden = _objected_approval(decide)
    case_resolve(
        case_id=overridden.pk, user=ani, decision="REJECT", reason_code="DATA_INCONSISTENT"
    )
    case_approve(case_id=overridden.pk, user=budi, approve=True)
    confirmed = _objected_approval(decide)
    case_resolve(case_id=confirmed.pk, user=ani, decision="APPROVE", reason_code="POLICY_CONFIRMED")
    untouched = decide(VALID)
    waiting = _objected_approval(decide)  # open: nobody has decided it yet
    records = DecisionRecord.objects.all()

    human = human_decisions(records=records)

    assert human == {
        overridden.decision.request_id: ("REJECT", True),
        confirmed.decision.request_id: ("APPROVE", False),
    }
    decisions = [overridden.decision, confirmed.decision, untouched, waiting.decision]
    recorded = [record.decision for record in decisions]
    assert recorded == ["APPROVE"] * 4
    people = [human.get(record.request_id) for record in decisions]
    assert override_rate(recorded, people) == {"reviewed": 2, "count": 1, "rate": 0.5}
