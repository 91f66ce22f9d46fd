"""``/api/v1/audit-log``: reviewers only, filters, cursor pages, one decision, exports."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from audit.models import AuditAccess
from registry.services import api_client_create
from tests.audit.conftest import T0, MakeRecords

LIST = "/api/v1/audit-log"


def signed_in(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_anonymous_callers_get_401_in_the_error_format(db: None) -> None:
    response = APIClient().get(LIST)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_a_loan_systems_api_key_gets_403_and_nothing_is_logged(
    db: None, make_records: MakeRecords
) -> None:
    make_records(1)
    _, key = api_client_create(name="bank-jaya", rule_set_name="fintech")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    for url in (LIST, f"{LIST}/export?format=csv"):
        response = client.get(url)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "permission_denied"
    assert AuditAccess.objects.count() == 0


def test_a_model_manager_gets_403(modeler: User) -> None:
    assert signed_in(modeler).get(LIST).status_code == 403


def test_a_reviewer_lists_newest_first_with_filters_and_a_cursor(
    compliance: User, make_records: MakeRecords
) -> None:
    make_records(3)
    make_records(2, start=T0 + timedelta(days=1), decision="APPROVE")
    client = signed_in(compliance)
    first = client.get(LIST, {"decision": "REJECT", "page_size": "2"}).json()
    assert [r["decision"] for r in first["results"]] == ["REJECT", "REJECT"]
    assert first["results"][0]["created_at"] > first["results"][1]["created_at"]
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 1
    assert second["next"] is None
    day = client.get(LIST, {"start": "2026-03-03", "end": "2026-03-03"}).json()
    assert [r["decision"] for r in day["results"]] == ["APPROVE", "APPROVE"]
    assert "inputs_encrypted" not in first["results"][0]
    assert AuditAccess.objects.filter(action="API_VIEW").count() == 3


def test_a_bad_filter_is_a_400_naming_the_field(compliance: User) -> None:
    response = signed_in(compliance).get(LIST, {"start": "yesterday"})
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["start"]


def test_one_decision_is_shown_masked_and_the_view_is_logged(
    compliance: User, make_records: MakeRecords
) -> None:
    (record,) = make_records(1)
    response = signed_in(compliance).get(f"{LIST}/{record.request_id}")
    body = response.json()
    assert response.status_code == 200
    assert body["application_masked"]["nik"] == "3171 **** **** **01"
    assert not {"inputs_encrypted", "nik_digest", "phone_digest"} & set(body)
    access = AuditAccess.objects.get()
    assert (access.action, access.what) == ("API_VIEW", {"request_id": str(record.request_id)})


def test_an_unknown_decision_is_a_404(compliance: User) -> None:
    response = signed_in(compliance).get(f"{LIST}/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_an_export_streams_and_its_manifest_matches_the_file(
    compliance: User, make_records: MakeRecords, fmt: str
) -> None:
    make_records(3)
    client = signed_in(compliance)
    response = client.get(f"{LIST}/export", {"format": fmt})
    assert response.status_code == 200
    assert response.streaming
    content = b"".join(response.streaming_content)  # type: ignore[attr-defined,unused-ignore]
    manifest = client.get(response["X-Audit-Manifest"]).json()
    assert manifest["row_count"] == 3
    assert manifest["sha256"] == hashlib.sha256(content).hexdigest()
    assert manifest["verify_audit"]["ok"] is True
    assert manifest["exported_by"] == compliance.username
    if fmt == "jsonl":
        rows = [json.loads(line) for line in content.decode().splitlines()]
    else:
        rows = list(csv.DictReader(io.StringIO(content.decode())))
    assert len(rows) == 3
    assert "inputs_encrypted" not in rows[0]
    access = AuditAccess.objects.get()
    assert (access.action, access.row_count, access.what["format"]) == ("EXPORT", 3, fmt)


def test_exporting_needs_the_export_permission(compliance: User, make_records: MakeRecords) -> None:
    from django.contrib.auth.models import Group

    from registry import roles
    from tests.audit.conftest import staff_in

    officer = staff_in(roles.CREDIT_OFFICER)
    assert Group.objects.get(name=roles.CREDIT_OFFICER) in officer.groups.all()
    response = signed_in(officer).get(f"{LIST}/export", {"format": "csv"})
    assert response.status_code == 403
    assert AuditAccess.objects.count() == 0


def test_an_unknown_export_format_is_a_400(compliance: User) -> None:
    response = signed_in(compliance).get(f"{LIST}/export", {"format": "xlsx"})
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["format"]
    assert AuditAccess.objects.count() == 0
