"""The demo: decisions sealed into a checkpoint before the server starts, one login per role."""

from __future__ import annotations

import importlib.util
import sys
from io import StringIO
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.http import HttpRequest

from audit.models import AuditCheckpoint, DecisionRecord
from registry import roles
from registry.models import ModelVersion
from registry.services import api_client_create
from review.models import ReviewCase

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
BASE = "http://127.0.0.1:8000"


def script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"demo_{name}", SCRIPTS / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def demo_users_output() -> str:
    out = StringIO()
    call_command("create_demo_users", "--password", "demo12345", "--base-url", BASE, stdout=out)
    return out.getvalue()


def test_the_demo_seals_its_decisions_after_making_them_and_before_serving() -> None:
    steps = [line.strip() for line in (SCRIPTS / "demo.sh").read_text().splitlines()]

    def step(text: str) -> int:
        return next(i for i, line in enumerate(steps) if text in line and not line.startswith("#"))

    decisions = step("scripts/demo_decisions.py")
    seal = step("manage.py seal_audit")
    assert step("create_api_key") < decisions < seal < step("gunicorn")
    assert steps[seal].startswith("KREDITAX_AUDIT_SEAL_DELAY_SECONDS=0 ")


def test_the_demo_decisions_are_recorded_and_the_seal_covers_them(
    champion: ModelVersion, settings: Any
) -> None:
    _, key = api_client_create(name="demo-loan-system", rule_set_name="fintech")
    demo = script("demo_decisions")
    made = demo.demo_decisions_make(key=key, rows=12)
    assert sum(made.values()) == 12
    assert DecisionRecord.objects.filter(client_name="demo-loan-system").count() == 12
    objections = demo.demo_objections_open(client_name="demo-loan-system")
    assert objections == min(2, made["REJECT"])
    cases = ReviewCase.objects.exclude(status="RESOLVED")
    assert sorted(cases.values_list("kind", flat=True)) == sorted(
        ["OBJECTION"] * objections + ["REVIEW"] * made["REVIEW"]
    )
    assert cases.count() >= 1  # the credit officers' queue has work
    settings.KREDITAX_AUDIT_SEAL_DELAY_SECONDS = 0
    call_command("seal_audit", stdout=StringIO())
    assert list(AuditCheckpoint.objects.values_list("sequence", "record_count")) == [(1, 12)]
    out = StringIO()
    call_command("verify_audit", stdout=out)
    events = cases.count()
    assert out.getvalue() == (
        f"Audit trail holds: 12 records, 1 checkpoints, {events} events, "
        "1 event checkpoints verified.\n"
    )


def test_one_demo_user_per_role_with_where_their_work_starts(db: None) -> None:
    lines = demo_users_output().splitlines()
    assert lines == [
        "   compliance / demo12345   Compliance Officer: decisions: search, verify, replay, export",
        f"                start at {BASE}/admin/audit/decisionrecord/",
        "   modeler    / demo12345   Model Manager: model versions and training runs",
        f"                start at {BASE}/admin/training/trainingrun/",
        "   officer    / demo12345   Credit Officer: review cases: claim, resolve, objections",
        f"                start at {BASE}/review/",
        "   officer2   / demo12345   Credit Officer: the second officer who approves overrides",
        f"                start at {BASE}/review/",
        "   policy     / demo12345   Credit Policy Manager: rule-set versions: draft, simulate on"
        " past decisions, approve another's draft",
        f"                start at {BASE}/admin/policy/simulationrun/",
        "   risk       / demo12345   Risk Manager: monitoring: stability, decision mix, "
        "performance, fairness, alerts",
        f"                start at {BASE}/admin/monitoring/monitoringsnapshot/dashboard/",
        "   admin      / demo12345   Administrator: everything, people and API keys",
        f"                start at {BASE}/admin/",
    ]
    groups = {user.username: [g.name for g in user.groups.all()] for user in User.objects.all()}
    assert groups == {
        "compliance": [roles.COMPLIANCE_OFFICER],
        "modeler": [roles.MODEL_MANAGER],
        "officer": [roles.CREDIT_OFFICER],
        "officer2": [roles.CREDIT_OFFICER],
        "policy": [roles.CREDIT_POLICY_MANAGER],
        "risk": [roles.RISK_MANAGER],
        "admin": [roles.ADMINISTRATOR],
    }
    assert list(User.objects.filter(is_superuser=True).values_list("username", flat=True)) == [
        "admin"
    ]


def test_each_demo_user_can_sign_in_and_open_their_start_page(
    db: None, client: Any, make_records: Any
) -> None:
    make_records(1)
    demo_users_output()
    for username, start in [
        ("compliance", "/admin/audit/decisionrecord/"),
        ("modeler", "/admin/training/trainingrun/"),
        ("officer", "/review/"),
        ("officer2", "/review/"),
        ("policy", "/admin/policy/simulationrun/"),
        ("risk", "/admin/monitoring/monitoringsnapshot/dashboard/"),
        ("admin", "/admin/"),
    ]:
        assert client.login(request=HttpRequest(), username=username, password="demo12345")
        assert client.get(start).status_code == 200, username
        client.logout()


def test_the_banner_prints_every_role_login(
    db: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    users = tmp_path / "demo-users.txt"
    users.write_text(demo_users_output())
    monkeypatch.setenv("HOST", "127.0.0.1")
    monkeypatch.setenv("PORT", "8000")
    monkeypatch.setenv("DEMO_KEY", "abc.def")
    monkeypatch.setattr(sys, "argv", ["demo_banner.py", str(users)])
    script("demo_banner").main()
    printed = capsys.readouterr().out
    for username, role in [
        ("compliance", "Compliance Officer"),
        ("modeler", "Model Manager"),
        ("officer", "Credit Officer"),
        ("officer2", "Credit Officer"),
        ("policy", "Credit Policy Manager"),
        ("risk", "Risk Manager"),
        ("admin", "Administrator"),
    ]:
        assert f"   {username:<10} / demo12345   {role}: " in printed
    assert f"start at {BASE}/review/" in printed
    assert f"review queue: {BASE}/review/" in printed
    assert f"Sign in to {BASE}/admin/ as one of" in printed
    assert "python manage.py seal_audit" in printed
