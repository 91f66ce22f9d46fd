"""Simulation runs: queued over the API, executed, cancelled; a draft approved with its run
as evidence through the admin's review page; the report page and its CSV."""

from __future__ import annotations

import copy
import json
from datetime import date
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from audit.models import DecisionRecord
from credit_ml.policy import fintech_rule_set_2
from policy import services
from policy.models import SimulationRun
from policy.services import (
    SimulationNotCancellable,
    simulation_run_cancel,
    simulation_run_create,
    simulation_run_execute,
)
from policy.simulation import SimulationRequest
from policy.tasks import run_simulation
from registry import rule_sets
from registry.models import RuleSet
from registry.rule_sets import rule_set_draft_create
from registry.services import model_version_promote
from tests.policy.conftest import MID_DSR, Record, client_on, varied

pytestmark = pytest.mark.django_db

DAY = date(2026, 6, 1)


@pytest.fixture
def recorded(register: Any, record: Record) -> None:
    model_version_promote(label=register("m-policy-a").label, reason="champion")
    client = client_on("los-run", "fintech-2026.2")
    for i in range(4):
        record(varied(MID_DSR, i), client=client, day=DAY)


@pytest.fixture
def draft(policy_manager: Any, monkeypatch: pytest.MonkeyPatch) -> RuleSet:
    monkeypatch.setattr(rule_sets, "policy_today", lambda: date(2026, 12, 1))
    definition = copy.deepcopy(fintech_rule_set_2().to_dict())
    definition["version"] = "fintech-2027.1"
    definition["rules"][0]["schedule"].append({"effective_from": "2027-01-01", "value": 0.2})
    return rule_set_draft_create(
        definition=definition,
        effective_from=date(2027, 1, 1),
        based_on=RuleSet.objects.get(version="fintech-2026.2"),
        user=policy_manager("maker"),
    )


def test_the_api_queues_a_run_for_a_credit_policy_manager(
    recorded: None,
    draft: RuleSet,
    policy_manager: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    queued: list[int] = []
    monkeypatch.setattr(services, "_enqueue", queued.append)
    api = APIClient()
    api.force_login(policy_manager("checker"))
    body = {
        "date_from": "2026-06-01",
        "date_to": "2026-06-30",
        "rule_set": "fintech",
        "version": "2027.1",
        "as_of": "2027-01-01",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/simulations", body, format="json")
    assert response.status_code == 202, response.json()
    run = SimulationRun.objects.get()
    assert (response.json()["id"], response.json()["status"], queued) == (
        run.pk,
        "QUEUED",
        [run.pk],
    )
    assert (run.rule_set, run.request["as_of"]) == (draft, "2027-01-01")

    simulation_run_execute(run_id=run.pk)
    detail = api.get(f"/api/v1/simulations/{run.pk}").json()
    assert (detail["status"], detail["progress"], detail["stage"]) == ("SUCCEEDED", 1.0, "done")
    assert detail["report"]["records"] == 4
    assert detail["report"]["after"] == {"APPROVE": 0, "REVIEW": 0, "REJECT": 4}
    assert api.get("/api/v1/simulations").json()["count"] == 1


def test_a_bad_api_request_is_a_400_naming_the_field_and_nothing_is_written(
    policy_manager: Any,
) -> None:
    api = APIClient()
    api.force_login(policy_manager("checker"))
    response = api.post(
        "/api/v1/simulations",
        {"date_from": "2026-06-30", "date_to": "2026-06-01", "model": "nope"},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"date_to", "model"}
    response = api.post(
        "/api/v1/simulations", {"date_from": "x", "date_to": "2026-06-01"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"date_from"}
    assert SimulationRun.objects.count() == 0


def test_a_queued_run_is_cancelled_at_once_and_a_running_one_at_its_next_stage(
    recorded: None,
) -> None:
    queued = simulation_run_create(request=SimulationRequest(DAY, DAY), user=None)
    assert simulation_run_cancel(run=queued).status == "CANCELLED"
    assert simulation_run_execute(run_id=queued.pk).status == "CANCELLED"  # a retry does nothing
    assert SimulationRun.objects.get(pk=queued.pk).report is None

    running = simulation_run_create(request=SimulationRequest(DAY, DAY), user=None)
    real_progress = services._progress_of

    def cancelling(run_id: int) -> Any:
        progress = real_progress(run_id)

        def step(stage: str, fraction: float) -> None:
            if stage.startswith("replaying"):  # someone cancels while it runs
                simulation_run_cancel(run=SimulationRun.objects.get(pk=run_id))
            progress(stage, fraction)

        return step

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(services, "_progress_of", cancelling)
        finished = simulation_run_execute(run_id=running.pk)
    assert (finished.status, finished.report, finished.stage) == ("CANCELLED", None, "cancelled")
    with pytest.raises(SimulationNotCancellable):
        simulation_run_cancel(run=finished)


def test_the_checker_approves_in_the_admin_with_the_run_of_that_draft(
    recorded: None, draft: RuleSet, policy_manager: Any
) -> None:
    checker = policy_manager("checker")
    web = Client()
    web.force_login(checker)
    url = f"/admin/registry/ruleset/{draft.pk}/review/"
    refused = web.post(url, {"decision": "approve", "reason": "looks right"})
    assert refused.status_code == 200
    assert "attach a finished simulation run of this draft" in refused.content.decode()
    assert RuleSet.objects.get(pk=draft.pk).status == "DRAFT"

    run = simulation_run_create(
        request=SimulationRequest(DAY, DAY, rule_set_id=draft.pk, as_of=date(2027, 1, 1)),
        user=checker,
    )
    run = simulation_run_execute(run_id=run.pk)
    approved = web.post(url, {"decision": "approve", "reason": "looks right", "simulation": run.pk})
    assert approved.status_code == 302
    row = RuleSet.objects.get(pk=draft.pk)
    assert (row.status, row.reviewed_by, row.simulation_run_id) == ("PUBLISHED", checker, run.pk)

    page = web.get(f"/admin/policy/simulationrun/{run.pk}/report/").content.decode()
    assert "<svg" in page
    assert "<th>before \\ after</th>" in page  # the flip matrix
    assert f"{run.report['fidelity']['reproduced']} reproduced" in page
    csv_text = web.get(f"/admin/policy/simulationrun/{run.pk}/report.csv").content.decode()
    rejected = DecisionRecord.objects.filter(decision="REJECT").count()
    assert f"decisions,REJECT,{rejected},4" in csv_text.splitlines()
    assert "records,records,4,4" in csv_text.splitlines()


def test_the_maker_cannot_approve_their_own_draft_in_the_admin(
    draft: RuleSet, policy_manager: Any
) -> None:
    web = Client()
    assert draft.created_by is not None
    web.force_login(draft.created_by)
    response = web.post(
        f"/admin/registry/ruleset/{draft.pk}/review/", {"decision": "approve", "reason": "mine"}
    )
    assert "a draft is approved by someone other than its drafter" in response.content.decode()
    assert RuleSet.objects.get(pk=draft.pk).status == "DRAFT"


def test_the_simulation_endpoints_are_in_the_openapi_document(client: Client) -> None:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert set(schema["paths"]["/api/v1/simulations"]) == {"get", "post"}
    assert set(schema["paths"]["/api/v1/simulations/{simulation_id}"]) == {"get"}
    start = schema["components"]["schemas"]["SimulationStart"]
    assert start["required"] == ["date_from", "date_to"]


def test_the_celery_task_executes_the_run_once(recorded: None) -> None:
    run = simulation_run_create(request=SimulationRequest(DAY, DAY), user=None)
    assert run_simulation(run.pk) == "SUCCEEDED"
    assert run_simulation(run.pk) == "SUCCEEDED"  # a retried task finds it done
    finished = SimulationRun.objects.get(pk=run.pk)
    assert (finished.report or {})["records"] == 4
    assert finished.finished_at is not None


def test_a_manager_drafts_a_successor_in_the_admin_and_bad_parameters_are_named(
    policy_manager: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rule_sets, "policy_today", lambda: date(2026, 12, 1))
    current = RuleSet.objects.get(version="fintech-2026.2")
    web = Client()
    web.force_login(policy_manager("maker"))
    form = web.get(f"/admin/registry/ruleset/add/?based_on={current.pk}")
    assert form.status_code == 200
    assert "OJK_MAX_REPAYMENT_TO_INCOME" in form.content.decode()  # prefilled from 2026.2
    definition = copy.deepcopy(current.definition)
    definition["version"] = "fintech-2027.2"
    definition["rules"][0]["schedule"].append({"effective_from": "2027-03-01", "value": 1.5})
    post = {"based_on": current.pk, "effective_from": "2027-03-01"}
    refused = web.post(
        "/admin/registry/ruleset/add/", {**post, "definition": json.dumps(definition)}
    )
    assert refused.status_code == 200
    assert "the cap 1.5 is not between 0 and 100 %" in refused.content.decode()
    assert not RuleSet.objects.filter(version="fintech-2027.2").exists()
    definition["rules"][0]["schedule"][-1]["value"] = 0.25
    created = web.post(
        "/admin/registry/ruleset/add/", {**post, "definition": json.dumps(definition)}
    )
    assert created.status_code == 302
    row = RuleSet.objects.get(version="fintech-2027.2")
    assert (row.status, row.based_on, row.created_by.username if row.created_by else None) == (
        "DRAFT",
        current,
        "maker",
    )
