"""``GET /api/v1/monitoring/report``: the command's JSON, for risk managers only."""

from __future__ import annotations

import json
from datetime import date
from io import StringIO

from django.contrib.auth.models import Group, User
from django.core.management import call_command
from rest_framework.test import APIClient

from credit_ml.synthetic import generate_applications
from registry import roles
from registry.models import ModelVersion
from registry.services import api_client_create
from tests.monitoring.conftest import Record

URL = "/api/v1/monitoring/report"


def _person(role: str) -> APIClient:
    user = User.objects.create_user(role.lower().replace(" ", "-"), password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client = APIClient()
    client.force_login(user)
    return client


def test_a_risk_manager_gets_the_report_the_command_prints(
    champion: ModelVersion, record: Record
) -> None:
    record(generate_applications(rows=40, seed=111), on=date(2026, 11, 2))
    response = _person(roles.RISK_MANAGER).get(URL, {"from": "2026-11-01", "to": "2026-11-30"})
    assert response.status_code == 200
    out = StringIO()
    call_command("monitoring_report", "--from", "2026-11-01", "--to", "2026-11-30", "--json",
                 stdout=out)  # fmt: skip
    assert response.json() == json.loads(out.getvalue())
    assert response.json()["decisions"] == 40


def test_bad_queries_are_400_naming_the_field(champion: ModelVersion) -> None:
    risk = _person(roles.RISK_MANAGER)
    missing = risk.get(URL, {"to": "2026-11-30"})
    assert missing.status_code == 400
    assert set(missing.json()["error"]["fields"]) == {"from"}
    backwards = risk.get(URL, {"from": "2026-12-01", "to": "2026-11-30"})
    assert backwards.json()["error"]["fields"] == {"to": ["Must not be before from."]}
    unknown = risk.get(URL, {"from": "2026-11-01", "to": "2026-11-30", "model": "nope"})
    assert unknown.status_code == 400
    assert unknown.json()["error"]["fields"] == {"model": ["No model version 'nope'."]}


def test_other_roles_and_loan_systems_are_refused(champion: ModelVersion) -> None:
    query = {"from": "2026-11-01", "to": "2026-11-30"}
    assert _person(roles.COMPLIANCE_OFFICER).get(URL, query).status_code == 403
    _, key = api_client_create(name="los-x", rule_set_name="fintech")
    keyed = APIClient()
    keyed.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert keyed.get(URL, query).status_code == 403
    assert APIClient().get(URL, query).status_code == 401
