"""The OpenAPI schema says what the audit-log API really answers (checked by schemathesis's
response validation against the served schema), and the application's text fields carry the
patterns the server enforces."""

from __future__ import annotations

import re
from typing import Any

import schemathesis
from django.contrib.auth.models import User
from schemathesis.specs.openapi.checks import response_schema_conformance

from credit_ml.identity import IDENTITY_PATTERNS
from registry.people_tokens import person_refresh_token
from scoring.examples import EXAMPLE_APPLICATION
from tests.audit.conftest import MakeRecords


def schema(app: Any) -> schemathesis.schemas.BaseSchema:
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", app)


def test_the_audit_log_page_conforms_to_the_schema(
    compliance: User, make_records: MakeRecords, wsgi_app: Any
) -> None:
    make_records(3)
    operation = schema(wsgi_app)["/api/v1/audit-log"]["GET"]
    case = operation.Case(
        query={"page_size": 2},
        headers={"Authorization": f"Bearer {person_refresh_token(compliance).access_token}"},
    )

    response = case.call()

    assert response.status_code == 200
    assert set(response.json()) == {"next", "previous", "results"}
    case.validate_response(response, checks=[response_schema_conformance])


def test_the_application_schema_has_the_servers_patterns(db: None, wsgi_app: Any) -> None:
    loaded = schema(wsgi_app).raw_schema
    fields = loaded["components"]["schemas"]["Application"]["properties"]

    assert {name: fields[name]["pattern"] for name in IDENTITY_PATTERNS} == IDENTITY_PATTERNS
    for name, value in EXAMPLE_APPLICATION.items():
        if isinstance(value, str) and "pattern" in fields[name]:
            assert re.search(fields[name]["pattern"], value), name
    assert not re.search(fields["application_id"]["pattern"], "LOS-1\x00")
    assert not re.search(fields["application_id"]["pattern"], "   ")
