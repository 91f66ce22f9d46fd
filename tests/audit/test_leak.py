"""No raw NIK, name, phone or e-mail reaches the database or the logs (PostgreSQL).

Applications with distinctive identities are scored through the API with a loan system's
key, every SQL statement is logged at DEBUG, then the whole test database is dumped with
``pg_dump`` and both the dump and the captured log lines are searched for each raw value.
"""

from __future__ import annotations

import logging
import os
import subprocess
from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient

from audit.models import DecisionRecord
from registry.models import ModelVersion
from registry.services import api_client_create

IDENTITIES = (
    {"full_name": "Zulkarnaen Wibisono Haryadi", "email": "zulkarnaen.haryadi@contoh.id"},
    {"full_name": "Ratna Kusumawardhani Lestari", "email": "Ratna.Lestari77@contoh.id"},
)


def pg_dump() -> str:
    db = connection.settings_dict
    command = ["pg_dump", "--no-owner", "-h", db["HOST"] or "127.0.0.1", "-U", db["USER"]]
    command += ["-p", str(db["PORT"] or 5432), db["NAME"]]
    env = {**os.environ, "PGPASSWORD": db["PASSWORD"] or ""}
    return subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_no_raw_identity_reaches_the_database_dump_or_the_logs(
    flushable_audit: None,
    champion: ModelVersion,
    applications: list[dict[str, Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, key = api_client_create(name="bank-jaya", rule_set_name="fintech")
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    payloads = [{**app, **who} for app, who in zip(applications, IDENTITIES, strict=False)]
    for name in (None, "django", "django.db.backends"):
        caplog.set_level(logging.DEBUG, logger=name)
    connection.force_debug_cursor = True  # log every statement with its parameters
    try:
        for payload in payloads:
            response = http.post("/api/v1/predict", payload, format="json")
            assert response.status_code == 200
    finally:
        connection.force_debug_cursor = False
    assert DecisionRecord.objects.count() == 2
    dump = pg_dump()
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert 'INSERT INTO "audit_decisionrecord"' in logged  # the SQL log is really captured
    raw = [p[field] for p in payloads for field in ("nik", "full_name", "phone", "email")]
    hits = {value: (dump.count(value), logged.count(value)) for value in raw}
    assert hits == {value: (0, 0) for value in raw}
