"""The compliance officer's read-only admin: lists, filters, digest search, decision page."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import Client

from audit.admin import DecisionRecordAdmin
from audit.models import AuditAccess, DecisionRecord
from tests.audit.conftest import APPLICANT, MakeRecords

CHANGELIST = "/admin/audit/decisionrecord/"


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page(record: DecisionRecord) -> str:
    return f"{CHANGELIST}{record.pk}/change/"


def test_a_compliance_officer_sees_the_list_in_bounded_queries(
    compliance: User, make_records: MakeRecords, django_assert_max_num_queries
) -> None:
    make_records(30)
    client = signed_in(compliance)
    with django_assert_max_num_queries(14):
        response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 30
    assert "Add decision record" not in response.text


def test_the_list_filters_by_the_rule_that_fired(
    compliance: User, make_records: MakeRecords
) -> None:
    make_records(2)
    make_records(1, failed_rules=[], decision="APPROVE")
    client = signed_in(compliance)
    response = client.get(CHANGELIST, {"rule": "OJK_MAX_REPAYMENT_TO_INCOME"})
    assert [r.failed_rules for r in response.context["cl"].result_list] == [
        ["OJK_MAX_REPAYMENT_TO_INCOME"]
    ] * 2


def test_the_list_filters_by_model_client_and_grade(
    compliance: User, make_records: MakeRecords
) -> None:
    make_records(2)
    make_records(1, actor_name="koperasi-maju", risk_grade="B")
    client = signed_in(compliance)
    response = client.get(CHANGELIST, {"client": "koperasi-maju", "grade": "B"})
    assert [r.client_name for r in response.context["cl"].result_list] == ["koperasi-maju"]


@pytest.mark.parametrize(
    "typed",
    ["3171014101900001", "3171 0141 0190 0001", "+62 812-3456-7890", "LOS-2026-000123"],
)
def test_search_by_nik_phone_or_reference_matches_the_digest_and_never_echoes_the_term(
    compliance: User, make_records: MakeRecords, typed: str
) -> None:
    (target,) = make_records(1)
    make_records(
        1,
        application={
            **APPLICANT,
            "nik": "3171015507920002",
            "phone": "0813",
            "application_id": "LOS-OTHER",
        },
    )
    response = signed_in(compliance).get(CHANGELIST, {"q": typed}, follow=True)
    assert response.redirect_chain[0][0].startswith(f"{CHANGELIST}?qd=")
    assert typed.replace(" ", "+") not in response.redirect_chain[0][0]
    assert [r.pk for r in response.context["cl"].result_list] == [target.pk]
    assert typed not in response.text
    assert AuditAccess.objects.count() == 0


def test_filtering_on_a_digest_column_by_url_is_refused(
    compliance: User, make_records: MakeRecords
) -> None:
    make_records(1)
    response = signed_in(compliance).get(CHANGELIST, {"nik_digest": "0" * 64})
    assert response.status_code in (302, 400)


def test_the_decision_page_shows_why_and_logs_the_view(
    compliance: User, make_records: MakeRecords, django_assert_max_num_queries
) -> None:
    (record,) = make_records(1)
    client = signed_in(compliance)
    with django_assert_max_num_queries(12):
        response = client.get(page(record))
    assert response.status_code == 200
    text = response.text
    assert "Housing status (Rented) raised the risk" in text
    assert "OJK_MAX_REPAYMENT_TO_INCOME" in text
    assert "<svg" in text
    assert "S.N.P." in text
    assert "3171 **** **** **01" in text
    assert record.inputs_encrypted not in text
    assert APPLICANT["nik"] not in text
    assert "Siti" not in text
    access = AuditAccess.objects.get()
    assert (access.user, access.action, access.what, access.row_count) == (
        compliance,
        "VIEW",
        {"request_id": str(record.request_id)},
        1,
    )


def test_a_model_manager_cannot_see_decisions(modeler: User, make_records: MakeRecords) -> None:
    (record,) = make_records(1)
    client = signed_in(modeler)
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(page(record)).status_code == 403
    assert AuditAccess.objects.count() == 0


@pytest.mark.parametrize("who", ["compliance", "administrator"])
def test_nobody_can_add_change_or_delete_a_decision(
    request: pytest.FixtureRequest, make_records: MakeRecords, who: str
) -> None:
    (record,) = make_records(1)
    client = signed_in(request.getfixturevalue(who))
    assert client.get(f"{CHANGELIST}add/").status_code == 403
    assert client.get(f"{CHANGELIST}{record.pk}/delete/").status_code == 403
    response = client.post(page(record), {"decision": "APPROVE"})
    assert response.status_code == 403
    assert DecisionRecord.objects.get().decision == "REJECT"


def test_the_export_action_streams_csv_and_logs_the_export(
    compliance: User, make_records: MakeRecords
) -> None:
    records = make_records(2)
    response = signed_in(compliance).post(
        CHANGELIST,
        {"action": "export_csv", "_selected_action": [r.pk for r in records]},
    )
    assert response.status_code == 200
    assert response.streaming
    body = b"".join(response.streaming_content).decode()
    assert body.count("\r\n") == 3
    access = AuditAccess.objects.get()
    assert (access.action, access.row_count) == ("EXPORT", 2)
    assert sorted(access.what["filter"]["request_ids"]) == sorted(
        str(r.request_id) for r in records
    )


def test_the_access_log_is_read_only_for_compliance(compliance: User) -> None:
    AuditAccess.objects.create(user=compliance, action="VIEW", what={}, row_count=1)
    client = signed_in(compliance)
    assert client.get("/admin/audit/auditaccess/").status_code == 200
    assert client.get("/admin/audit/auditaccess/add/").status_code == 403
    assert client.get("/admin/audit/auditcheckpoint/").status_code == 200


def test_the_date_navigation_drills_from_years_to_months(
    compliance: User, make_records: MakeRecords
) -> None:
    make_records(2)
    client = signed_in(compliance)
    years = client.get(CHANGELIST).context["cl"].audit_date_links
    assert years == [("2026", "?created_at__year=2026")]
    response = client.get(CHANGELIST, {"created_at__year": "2026"})
    months = response.context["cl"].audit_date_links
    assert months[0] == ("< all dates", "?")
    assert months[3] == ("Mar", "?created_at__month=3&created_at__year=2026")
    assert len(response.context["cl"].result_list) == 2


def test_the_policy_table_shows_each_recorded_rule_with_its_state_figures_and_messages(
    compliance: User, make_records: MakeRecords
) -> None:
    (record,) = make_records(1)
    html = DecisionRecordAdmin(DecisionRecord, admin.site).policy_table(record)
    rows = re.findall(r"<tr>(.*?)</tr>", html)
    cells = [re.findall(r"<t[hd]>(.*?)</t[hd]>", row) for row in rows]
    assert cells[0] == [
        "rule",
        "result",
        "actual",
        "limit",
        "in force from",
        "detail",
        "keterangan",
    ]
    assert cells[1] == [
        "OJK_MAX_REPAYMENT_TO_INCOME",
        "FAILED",
        "0.3598",
        "0.3000",
        "2026-01-01",
        "DSR 36 % exceeds the 30 % cap in force since 1 January 2026",
        "DSR 36 % melebihi batas 30 % yang berlaku sejak 1 Januari 2026",
    ]
    assert [row[:5] for row in cells[2:]] == [
        ["OJK_MAX_LENDING_PLATFORMS", "passed", "2", "3", "2024-01-01"],
        ["OJK_MIN_AGE", "passed", "36", "18", "2024-01-01"],
        ["OJK_MIN_INCOME", "not in force", "-", "-", "-"],
        ["OJK_MAX_FUNDING", "passed", "40,000,000", "2,000,000,000", "2024-01-01"],
    ]
