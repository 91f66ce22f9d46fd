"""Which decisions open a review case, in the transaction of their record."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from audit.events import EventKind
from audit.models import AuditEvent, DecisionRecord
from registry.models import ApiClient
from review.models import ReviewCase
from review.services import sampled
from scoring.services import actor_of, applications_score_batch
from tests.review.conftest import OVER_CAP, RISKY, Decide
from tests.scoring.support import VALID


def test_a_review_decision_opens_exactly_one_case_with_its_deadline(decide: Decide) -> None:
    record = decide(RISKY)
    assert record.decision == "REVIEW"
    case = ReviewCase.objects.get()
    assert (case.decision_id, case.kind, case.status, case.assignee) == (
        record.pk,
        "REVIEW",
        "OPEN",
        None,
    )
    assert (case.deadline - case.opened_at).total_seconds() == 48 * 3600
    event = AuditEvent.objects.get()
    assert (event.decision_id, event.sequence, event.kind) == (record.pk, 1, "CASE_OPENED")
    assert event.previous_hash == record.content_hash
    assert event.payload == {
        "case": case.pk,
        "case_kind": "REVIEW",
        "deadline": case.deadline.isoformat(),
    }


def test_approvals_and_rejections_open_no_case_without_sampling(decide: Decide) -> None:
    records = [decide(VALID), decide(OVER_CAP)]
    assert sorted(r.decision for r in records) == ["APPROVE", "REJECT"]
    assert (ReviewCase.objects.count(), AuditEvent.objects.count()) == (0, 0)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_case_that_cannot_be_written_leaves_no_decision_record(
    flushable_audit: None, decide: Decide, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outside any transaction (as in production), the record and its case commit together."""
    assert transaction.get_autocommit()

    def fail(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("case table unavailable")

    monkeypatch.setattr("review.services.audit_events_start", fail)
    with pytest.raises(RuntimeError):
        decide(RISKY)
    assert (DecisionRecord.objects.count(), ReviewCase.objects.count()) == (0, 0)


def test_sampling_opens_the_configured_share_of_approvals(
    decide: Decide, fintech_key: tuple[ApiClient, str], settings: Any
) -> None:
    """2 % of 2,000 approvals: 40 expected; 3 standard deviations (6.3) either side."""
    settings.KREDITAX_REVIEW_SAMPLE_RATES = {"APPROVE": 0.02, "REJECT": 0.0}
    decide(VALID)  # the champion is loaded and the date frozen
    actor = actor_of(client=fintech_key[0], user=None)
    for start in (0, 1000):
        items = [{**VALID, "application_id": f"S-{start + i}"} for i in range(1000)]
        applications_score_batch(payload={"applications": items}, actor=actor, idempotency_key=None)
    approvals = DecisionRecord.objects.filter(decision="APPROVE")
    assert approvals.count() == 2001
    picked = [r.pk for r in approvals if sampled(request_id=r.request_id, decision="APPROVE")]
    cases = ReviewCase.objects.filter(kind="SAMPLE")
    assert sorted(cases.values_list("decision_id", flat=True)) == sorted(picked)
    assert 40 - 19 <= len(picked) <= 40 + 19
    assert AuditEvent.objects.filter(kind=EventKind.CASE_OPENED).count() == len(picked)
