"""The admin's portfolio pages: start a run, see refusals, cancel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.test import Client

from audit.models import PortfolioRunRecord
from portfolio.models import PortfolioRun
from registry.models import ModelVersion, RuleSet
from tests.portfolio.conftest import role_user

START = "/admin/portfolio/portfoliorun/start/"
LIST = "/admin/portfolio/portfoliorun/"


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_manager_queues_a_run_from_the_start_page(
    champion: ModelVersion,
    dirs: dict[str, Path],
    manager: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    form = {
        "data_path": str(dirs["data"] / "book.parquet"),
        "out_path": str(dirs["out"] / "scores.parquet"),
        "rule_set": "bank",
        "as_of": "2026-12-01",
    }
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = _client(manager).post(START, form)
    assert response.status_code == 302
    run = PortfolioRun.objects.get()
    assert (run.status, run.rule_set.name, run.requested_by, str(run.as_of)) == (
        "QUEUED",
        "bank",
        manager,
        "2026-12-01",
    )
    assert len(callbacks) == 1


def test_the_start_page_names_each_refused_field_and_writes_nothing(
    champion: ModelVersion, dirs: dict[str, Path], manager: User
) -> None:
    form = {"data_path": "/etc/passwd", "out_path": "/tmp/x.parquet"}
    response = _client(manager).post(START, form)
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "data_path": ["Must lie inside the configured directory."],
        "out_path": ["Must lie inside the configured directory."],
    }
    response = _client(manager).post(
        START,
        {
            "data_path": str(dirs["data"] / "book.parquet"),
            "out_path": str(dirs["out"] / "s.parquet"),
            "model": "m-nope",
        },
    )
    assert response.context["form"].errors == {"model": ["No model version is labelled 'm-nope'."]}
    assert PortfolioRun.objects.count() == 0


def test_the_cancel_action_cancels_a_queued_run_and_a_compliance_officer_only_reads(
    champion: ModelVersion, dirs: dict[str, Path], manager: User
) -> None:
    run = PortfolioRun.objects.create(
        data_path=str(dirs["data"] / "book.parquet"),
        input_sha256="a" * 64,
        out_path=str(dirs["out"] / "s.parquet"),
        model_version=champion,
        rule_set=RuleSet.objects.filter(name="fintech").latest("created_at"),
        as_of="2026-12-01",
    )
    compliance = role_user("cmp", "Compliance Officer")
    action = {"action": "cancel_runs", "_selected_action": [str(run.pk)]}
    assert _client(compliance).get(LIST).status_code == 200
    _client(compliance).post(LIST, action)
    assert PortfolioRun.objects.get().status == "QUEUED"
    response = _client(manager).post(LIST, action)
    assert response.status_code == 302
    assert PortfolioRun.objects.get().status == "CANCELLED"
    assert PortfolioRunRecord.objects.get().status == "CANCELLED"
