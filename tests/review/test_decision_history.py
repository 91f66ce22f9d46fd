"""The audit admin's decision page and the exports show what happened after a decision."""

from __future__ import annotations

import json

from django.contrib.auth.models import User
from django.test import Client

from audit.exports import decision_records_export, export_file
from audit.models import AuditEvent
from audit.selectors import RecordFilter
from review.models import ReviewCase
from review.services import case_approve, case_resolve, objection_open
from tests.review.conftest import Decide
from tests.scoring.support import VALID

NOTE = "Telepon ke Bu Siti 0812-3456-7890: slip gaji palsu"


def _overridden(decide: Decide, ani: User, budi: User) -> ReviewCase:
    record = decide(VALID)
    case = objection_open(record=record, actor="client:los-fintech", statement="tolong cek")
    case_resolve(
        case_id=case.pk, user=ani, decision="REJECT", reason_code="DATA_INCONSISTENT", note=NOTE
    )
    return case_approve(case_id=case.pk, user=budi, approve=True)


def test_the_compliance_officer_sees_the_history_and_notes_on_the_decision_page(
    decide: Decide, ani: User, budi: User, compliance_user: User
) -> None:
    case = _overridden(decide, ani, budi)
    client = Client()
    client.force_login(compliance_user)
    response = client.get(f"/admin/audit/decisionrecord/{case.decision.pk}/change/")
    assert response.status_code == 200
    page = response.content.decode()
    for text in ("RESOLUTION_PROPOSED", "RESOLUTION_APPROVED", "user:budi", "tolong cek"):
        assert text in page
    assert "Telepon ke Bu Siti 0812-3456-7890: slip gaji palsu" in page
    final = page.index("Final decision")
    assert "REJECT" in page[final : final + 400]


def test_an_export_has_the_final_decision_and_the_history_but_no_note(
    decide: Decide, ani: User, budi: User, compliance_user: User
) -> None:
    case = _overridden(decide, ani, budi)
    access, stream = decision_records_export(
        record_filter=RecordFilter(), fmt="jsonl", user=compliance_user
    )
    b"".join(stream)
    (row,) = [json.loads(line) for line in b"".join(export_file(access=access)).splitlines()]
    assert row["final_decision"] == "REJECT"
    events = AuditEvent.objects.filter(decision=case.decision).order_by("sequence")
    assert row["history"] == [
        {
            "sequence": e.sequence,
            "kind": e.kind,
            "at": e.created_at.isoformat(),
            "actor": e.actor_name,
            "payload": e.payload,
            "content_hash": e.content_hash,
        }
        for e in events
    ]
    text = json.dumps(row)
    assert "Siti" not in text
    assert "tolong" not in text
