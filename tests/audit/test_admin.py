"""The compliance officer's read-only admin: lists, filters, digest search, decision page."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date as calendar_date
from html.parser import HTMLParser
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import Client

from audit.admin import DecisionRecordAdmin, _rule_state
from audit.models import AuditAccess, DecisionRecord
from credit_ml.features import FeatureConfig
from credit_ml.policy import evaluate_policy, fintech_rule_set, fintech_rule_set_2
from registry import roles
from tests.audit.conftest import APPLICANT, MakeRecords, staff_in
from tests.ml.test_policy import application

CHANGELIST = "/admin/audit/decisionrecord/"


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page(record: DecisionRecord) -> str:
    return f"{CHANGELIST}{record.pk}/change/"


def test_a_compliance_officer_sees_the_list_in_bounded_queries(
    compliance: User, make_records: MakeRecords, django_assert_max_num_queries: Any
) -> None:
    make_records(30)
    client = signed_in(compliance)
    with django_assert_max_num_queries(14):
        response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 30
    assert "Add decision record" not in response.text


def test_the_list_shows_short_ids_local_times_the_pd_and_the_first_failed_rule(
    compliance: User, make_records: MakeRecords
) -> None:
    (record,) = make_records(1)
    response = signed_in(compliance).get(CHANGELIST)
    (row,) = table_rows(response.text)[1:]
    short = str(record.request_id)[:8]
    assert row == [
        "",
        "2026-03-02 09:00 WIB",
        short,
        "Reject",
        record.risk_grade,
        str(record.credit_score),
        f"{record.probability_of_default:.4f}",
        "OJK_MAX_REPAYMENT_TO_INCOME",
        "xgb-test-1",
        "bank-jaya",
    ]
    assert f'<span title="{record.request_id}">{short}</span>' in response.text
    assert f"{page(record)}" in response.text


def test_the_list_fits_a_1366_pixel_screen(compliance: User, make_records: MakeRecords) -> None:
    make_records(
        3,
        actor_name="koperasi-simpan-pinjam-sejahtera-bersama",
        model_label="xgboost-20261124-051203-a3f9",
    )
    make_records(1, actor_name="KoperasiSimpanPinjamSejahteraBersama", failed_rules=[])
    response = signed_in(compliance).get(CHANGELIST)
    assert 'id="nav-sidebar"' not in response.text
    assert estimated_table_width(response.text) <= TABLE_BUDGET


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
    search = AuditAccess.objects.get()
    assert (search.user, search.action, search.row_count) == (compliance, "SEARCH", 1)
    assert typed not in json.dumps(search.what)


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("3171014101900001", "NIK 3171 **** **** **01"),
        ("3171.0141.0190.0001", "NIK 3171 **** **** **01"),
        ("+62 812-3456-7890", "phone 6281****90"),
        ("LOS-2026-000123", "reference ***123"),
    ],
)
def test_an_identity_search_says_what_it_filtered_by_masked_and_logs_that(
    compliance: User, make_records: MakeRecords, typed: str, shown: str
) -> None:
    make_records(1)
    response = signed_in(compliance).get(CHANGELIST, {"q": typed}, follow=True)
    assert f'<p class="identity-search">Filtered by {shown}</p>' in response.text
    assert f"{shown}</a>" in response.text  # the filter sidebar names it too
    assert AuditAccess.objects.get().what == {"search": shown}


def test_a_request_id_search_is_logged_with_the_id(
    compliance: User, make_records: MakeRecords
) -> None:
    (record,) = make_records(1)
    response = signed_in(compliance).get(CHANGELIST, {"q": str(record.request_id)}, follow=True)
    assert [r.pk for r in response.context["cl"].result_list] == [record.pk]
    assert f"Filtered by request id {record.request_id}" in response.text
    assert AuditAccess.objects.get().what == {"search": f"request id {record.request_id}"}


def test_a_label_that_is_not_a_mask_is_not_shown(
    compliance: User, make_records: MakeRecords
) -> None:
    make_records(1)
    response = signed_in(compliance).get(
        CHANGELIST, {"qd": "-.-.-", "qm": "NIK <script>alert(1)</script>"}
    )
    assert response.status_code == 200
    assert "Filtered by" not in response.text
    assert "<script>alert(1)" not in response.text


def test_someone_who_may_not_see_decisions_cannot_search_or_leave_a_trace(
    modeler: User, make_records: MakeRecords
) -> None:
    make_records(1)
    response = signed_in(modeler).get(CHANGELIST, {"q": APPLICANT["nik"]})
    assert response.status_code == 403
    assert AuditAccess.objects.count() == 0


def test_filtering_on_a_digest_column_by_url_is_refused(
    compliance: User, make_records: MakeRecords
) -> None:
    make_records(1)
    response = signed_in(compliance).get(CHANGELIST, {"nik_digest": "0" * 64})
    assert response.status_code in (302, 400)


def test_the_decision_page_shows_why_and_logs_the_view(
    compliance: User, make_records: MakeRecords, django_assert_max_num_queries: Any
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


def test_the_export_action_logs_the_export_and_shows_the_file_and_its_manifest(
    compliance: User, make_records: MakeRecords
) -> None:
    records = make_records(2)
    client = signed_in(compliance)
    response = client.post(
        CHANGELIST,
        {"action": "export_csv", "_selected_action": [r.pk for r in records]},
    )
    access = AuditAccess.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{CHANGELIST}export/{access.pk}/"
    assert (access.action, access.row_count) == ("EXPORT", 2)
    assert sorted(access.what["filter"]["request_ids"]) == sorted(
        str(r.request_id) for r in records
    )
    page = client.get(response["Location"])
    manifest_url = f"{CHANGELIST}export/{access.pk}/manifest/"
    download_url = f"{CHANGELIST}export/{access.pk}/download/"
    assert f'<a href="{download_url}" class="export-file">' in page.text
    assert f'<a href="{manifest_url}" class="export-manifest">' in page.text
    download = client.get(download_url)
    body = b"".join(download.streaming_content)  # type: ignore[attr-defined,unused-ignore]
    assert body.decode().count("\r\n") == 3
    manifest = client.get(manifest_url).json()
    assert (manifest["row_count"], manifest["sha256"]) == (2, hashlib.sha256(body).hexdigest())
    assert AuditAccess.objects.count() == 1


def test_only_the_author_fetches_an_export_file_again(
    compliance: User, administrator: User, make_records: MakeRecords
) -> None:
    records = make_records(1)
    signed_in(compliance).post(
        CHANGELIST, {"action": "export_jsonl", "_selected_action": [records[0].pk]}
    )
    access = AuditAccess.objects.get()
    other = signed_in(administrator)
    assert other.get(f"{CHANGELIST}export/{access.pk}/").status_code == 403
    assert other.get(f"{CHANGELIST}export/{access.pk}/download/").status_code == 403
    assert other.get(f"{CHANGELIST}export/{access.pk}/manifest/").status_code == 200


def test_exporting_without_the_permission_is_refused_and_writes_nothing(
    make_records: MakeRecords,
) -> None:
    (record,) = make_records(1)
    officer = staff_in(roles.CREDIT_OFFICER)
    response = signed_in(officer).post(
        CHANGELIST, {"action": "export_csv", "_selected_action": [record.pk]}
    )
    assert response.status_code == 403
    assert AuditAccess.objects.count() == 0


def test_the_access_log_links_each_export_to_its_manifest(
    compliance: User, make_records: MakeRecords
) -> None:
    (record,) = make_records(1)
    client = signed_in(compliance)
    client.post(CHANGELIST, {"action": "export_csv", "_selected_action": [record.pk]})
    access = AuditAccess.objects.get()
    response = client.get("/admin/audit/auditaccess/")
    assert f'<a href="{CHANGELIST}export/{access.pk}/manifest/">manifest</a>' in response.text


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


# --- how wide the decision list renders -----------------------------------------------
# Django admin 5.2's CSS: the filter sidebar is 240 px plus a 30 px margin, #content has
# 40 px padding each side; headers never wrap (th .text a: 10 px padding each side, 11 px
# uppercase); cells wrap at spaces, after hyphens and at <wbr> (td: 8 px padding each side,
# 13 px text). Widths per character are generous upper bounds for system-ui.
SCREEN, SCROLLBAR, CONTENT_PADDING, FILTER_SIDEBAR = 1366, 17, 2 * 40, 240 + 30
TABLE_BUDGET = SCREEN - SCROLLBAR - CONTENT_PADDING - FILTER_SIDEBAR
HEADER_PX, HEADER_PAD, CELL_PX, CELL_PAD, CHECKBOX = 8.0, 20, 8.5, 16, 40


class _Table(HTMLParser):
    """The result list as rows of cells; a cell is its text with ``\\n`` where it may wrap
    (every wrap opportunity of a cell with class ``nowrap`` is removed)."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.inside = False
        self.cell: list[str] | None = None
        self.nowrap = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "table" and dict(attrs).get("id") == "result_list":
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in ("td", "th"):
            self.cell = []
        elif self.cell is not None and tag == "wbr":
            self.cell.append("\n")
        if self.cell is not None and "nowrap" in classes:
            self.nowrap += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.inside = False
        elif self.inside and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split(" ")).strip())
            self.cell, self.nowrap = None, 0

    def handle_data(self, data: str) -> None:
        if self.cell is None:
            return
        text = " ".join(data.split())
        self.cell.append(text if self.nowrap else re.sub(r"(-)|( )", r"\1\n", text))


def _parsed(html: str) -> list[list[str]]:
    parser = _Table()
    parser.feed(html)
    return parser.rows


def table_rows(html: str) -> list[list[str]]:
    """The result list's header and rows as plain texts."""
    return [[cell.replace("\n", "").strip() for cell in row] for row in _parsed(html)]


def estimated_table_width(html: str) -> float:
    header, *rows = _parsed(html)
    width = float(CHECKBOX)
    for column in range(1, len(header)):
        head = len(header[column].replace("\n", " ").strip()) * HEADER_PX + HEADER_PAD
        pieces = [piece for row in rows for piece in row[column].split("\n")]
        cell = max(len(piece.strip()) for piece in pieces) * CELL_PX + CELL_PAD
        width += max(head, cell)
    return width


def test_the_policy_table_says_a_rule_was_not_checked() -> None:
    values = {**application(active_lending_platforms=None), "age": None}
    day = calendar_date(2026, 3, 1)
    states = [
        [
            _rule_state(r.to_dict())
            for r in evaluate_policy(rules, values, on=day, feature_config=FeatureConfig()).results
        ]
        for rules in (fintech_rule_set(), fintech_rule_set_2())
    ]
    assert states == [
        ["passed", "not checked", "not checked: FAILED", "not in force", "passed"],
        ["passed", "not checked", "not checked", "not in force", "passed"],
    ]
    recorded_before_states = {"in_force": True, "passed": False}
    assert _rule_state(recorded_before_states) == "FAILED"  # type: ignore[arg-type]
