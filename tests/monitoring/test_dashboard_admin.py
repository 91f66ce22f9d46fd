"""The risk manager's dashboard (from snapshots), its CSVs, and acknowledging in the admin."""

from __future__ import annotations

import csv
from datetime import date
from io import StringIO

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from credit_ml.synthetic import generate_applications
from monitoring.models import MonitoringAlert, MonitoringSnapshot
from monitoring.snapshots import snapshots_for_day
from registry import roles
from registry.models import ModelVersion
from tests.monitoring.conftest import Record

DASHBOARD = "/admin/monitoring/monitoringsnapshot/dashboard/"


@pytest.fixture
def risk(db: None) -> Client:
    user = User.objects.create_user("risk", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=roles.RISK_MANAGER))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def days(champion: ModelVersion, record: Record) -> list[MonitoringSnapshot]:
    record(generate_applications(rows=120, seed=101), on=date(2026, 10, 5))
    halved = generate_applications(rows=120, seed=102)
    halved["monthly_income"] = (halved["monthly_income"] / 2).round(-3)
    record(halved, on=date(2026, 10, 6))
    return snapshots_for_day(day=date(2026, 10, 5)) + snapshots_for_day(day=date(2026, 10, 6))


def _csv(client: Client, key: str, query: str = "") -> list[list[str]]:
    response = client.get(f"{DASHBOARD}?{query}csv={key}")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(StringIO(response.content.decode())))


def test_the_dashboard_shows_every_plot_with_its_numbers(
    risk: Client, days: list[MonitoringSnapshot], champion: ModelVersion
) -> None:
    response = risk.get(DASHBOARD)
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" width="720"') == 7
    for title in (
        "Approval rate by day",
        "Rule hit rates by day",
        "Score distribution: baseline and period",
        "PSI per field (period against baseline)",
        "Calibration by grade (matured loans)",
        "Vintage curves",
        "Disparate-impact ratio by group",
    ):
        assert title in page
    assert "2 daily snapshot(s) from 2026-07-09 to 2026-10-06, 240 decision(s)." in page
    approval = _csv(risk, "approval")
    first, second = (s for s in days if s.client_name == "")
    assert approval == [
        ["day", "decisions", "approved", "approval rate"],
        ["2026-10-05", "120", str(first.approved), str(first.approved / 120)],
        ["2026-10-06", "120", str(second.approved), str(second.approved / 120)],
    ]
    psi = {row[0]: row for row in _csv(risk, "psi")[1:]}
    assert psi["monthly_income"][2] == "act"
    assert psi["gender"][2] == "stable"


def test_a_period_and_a_client_can_be_chosen_and_an_unknown_panel_is_404(
    risk: Client, days: list[MonitoringSnapshot]
) -> None:
    approval = _csv(risk, "approval", "client=bank-jaya&from=2026-10-06&to=2026-10-06&")
    assert [row[0] for row in approval] == ["day", "2026-10-06"]
    assert risk.get(f"{DASHBOARD}?csv=nope").status_code == 404
    empty = risk.get(f"{DASHBOARD}?from=2020-01-01&to=2020-01-31")
    assert "no snapshot yet." in empty.content.decode()


def test_the_dashboard_reads_only_snapshots(risk: Client, days: list[MonitoringSnapshot]) -> None:
    with CaptureQueriesContext(connection) as queries:
        assert risk.get(DASHBOARD).status_code == 200
    assert not [q for q in queries.captured_queries if "audit_decisionrecord" in q["sql"]]


def test_an_alert_is_acknowledged_in_the_admin_with_a_note(
    risk: Client, days: list[MonitoringSnapshot]
) -> None:
    alert = MonitoringAlert.objects.filter(kind="PSI_ACT", subject="monthly_income").first()
    assert alert is not None
    url = f"/admin/monitoring/monitoringalert/{alert.pk}/acknowledge/"
    page = risk.get(f"/admin/monitoring/monitoringalert/{alert.pk}/change/").content.decode()
    assert "Acknowledge this alert" in page
    refused = risk.post(url, {"note": ""})
    assert refused.status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged_at is None
    done = risk.post(url, {"note": "Income campaign in Jawa Barat"})
    assert done.status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledgement == "Income campaign in Jawa Barat"
    assert alert.acknowledged_by == User.objects.get(username="risk")
    assert risk.get("/admin/monitoring/monitoringalert/?acknowledged=yes").status_code == 200
    assert risk.post(f"/admin/monitoring/monitoringalert/{alert.pk}/delete/").status_code == 403
    assert MonitoringAlert.objects.filter(pk=alert.pk).exists()
