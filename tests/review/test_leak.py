"""Notes, statements and letter addressees never reach the database in clear, nor the logs.

An objection with a statement, a resolution with a note and a letter addressed by name go
through the API with every SQL statement logged at DEBUG; then the whole test database is
dumped with ``pg_dump`` and both are searched for each piece of free text.
"""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth.models import User
from django.db import connection

from audit.models import AuditEvent
from registry.models import ApiClient
from review.models import ReviewCase
from tests.audit.test_leak import pg_dump
from tests.review.conftest import Decide
from tests.scoring.support import VALID, keyed, signed_in

STATEMENT = "Saya Wulandari Prameswari, gaji naik, telp 0813-9988-7766"
NOTE = "Dicek dengan HRD PT Sumber Rejeki, atasan Bapak Gunadi Wirawan"
NAME, ADDRESS = "Wulandari Prameswari", "Jl. Kenanga Raya No. 41, Depok"


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_no_note_statement_or_addressee_reaches_the_dump_or_the_logs(
    flushable_audit: None,
    decide: Decide,
    fintech_key: tuple[ApiClient, str],
    ani: User,
    caplog: pytest.LogCaptureFixture,
) -> None:
    record = decide(VALID)
    loan_system = keyed(fintech_key[1])
    for name in (None, "django", "django.db.backends"):
        caplog.set_level(logging.DEBUG, logger=name)
    connection.force_debug_cursor = True  # log every statement with its parameters
    try:
        url = f"/api/v1/decisions/{record.request_id}"
        assert (
            loan_system.post(
                f"{url}/objections", {"statement": STATEMENT}, format="json"
            ).status_code
            == 201
        )
        case = ReviewCase.objects.get()
        body = {"decision": "APPROVE", "reason_code": "VERIFIED_INCOME", "note": NOTE}
        assert (
            signed_in(ani)
            .post(f"/api/v1/reviews/{case.pk}/resolve", body, format="json")
            .status_code
            == 200
        )
        letter = {"applicant_name": NAME, "applicant_address": ADDRESS}
        assert loan_system.post(f"{url}/letter", letter, format="json").status_code == 200
    finally:
        connection.force_debug_cursor = False
    assert AuditEvent.objects.count() == 4
    dump = pg_dump()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert 'INSERT INTO "audit_auditevent"' in logged  # the SQL log is really captured
    pieces = ["Wulandari", "0813-9988-7766", "Sumber Rejeki", "Gunadi", "Kenanga"]
    hits = {piece: (dump.count(piece), logged.count(piece)) for piece in pieces}
    assert hits == {piece: (0, 0) for piece in pieces}
