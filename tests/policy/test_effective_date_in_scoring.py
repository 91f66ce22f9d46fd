"""A published successor reaches scoring on its effective date, without a restart."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest
from rest_framework.test import APIClient

from audit.models import DecisionRecord
from credit_ml.policy import fintech_rule_set_2
from registry import rule_sets
from registry.models import RuleSet
from registry.rule_sets import (
    SimulationEvidence,
    definition_sha256,
    rule_set_approve,
    rule_set_draft_create,
)
from registry.services import api_client_create, model_version_promote
from scoring import services as scoring_services
from tests.policy.conftest import MID_DSR

pytestmark = pytest.mark.django_db


def test_a_client_decides_under_the_successor_from_its_effective_date(
    register: Any, policy_manager: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rule_sets, "policy_today", lambda: date(2026, 12, 1))
    model_version_promote(label=register("m-policy-a").label, reason="champion")
    _client, key = api_client_create(name="los-live", rule_set_name="fintech")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")

    def predict(day: date) -> dict[str, Any]:
        monkeypatch.setattr(scoring_services, "decision_date", lambda: day)
        response = api.post("/api/v1/predict", MID_DSR, format="json")
        assert response.status_code == 200, response.json()
        body: dict[str, Any] = response.json()
        return body

    definition = copy.deepcopy(fintech_rule_set_2().to_dict())
    definition["version"] = "fintech-2027.1"
    definition["rules"][0]["schedule"].append({"effective_from": "2027-01-01", "value": 0.2})
    draft = rule_set_draft_create(
        definition=definition,
        effective_from=date(2027, 1, 1),
        based_on=RuleSet.objects.get(version="fintech-2026.2"),
        user=policy_manager("maker"),
    )
    evidence = SimulationEvidence(1, draft.pk, definition_sha256(draft.definition))
    rule_set_approve(rule_set=draft, user=policy_manager("checker"), reason="ok", evidence=evidence)

    before = predict(date(2026, 12, 31))  # the same process, the same key: no restart
    after = predict(date(2027, 1, 1))
    assert before["rule_set_version"] == "fintech-2026.2"
    assert before["policy"]["rules"][0]["limit"] == 0.3
    assert (after["rule_set_version"], after["decision"]) == ("fintech-2027.1", "REJECT")
    assert after["policy"]["rules"][0]["limit"] == 0.2
    assert after["reasons"][0]["code"] == "OJK_MAX_REPAYMENT_TO_INCOME"


def test_a_decision_under_a_rule_set_s_own_cut_offs_records_those_cut_offs(
    register: Any, policy_manager: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The record's thresholds are the ones that decided: the rule set's PD cut-offs where
    it sets them (single and batch), the model version's where it does not."""
    monkeypatch.setattr(rule_sets, "policy_today", lambda: date(2026, 12, 1))
    monkeypatch.setattr(scoring_services, "decision_date", lambda: date(2027, 1, 4))
    champion = register("m-policy-a")
    model_version_promote(label=champion.label, reason="champion")
    _client, key = api_client_create(name="los-cut-offs", rule_set_name="fintech")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    model_cut_offs = api.post("/api/v1/predict", MID_DSR, format="json").json()
    assert model_cut_offs["rule_set_version"] == "fintech-2026.2"

    definition = copy.deepcopy(fintech_rule_set_2().to_dict())
    definition["version"] = "fintech-2027.2"
    definition["pd_thresholds"] = {"approve_below": 0.0001, "reject_from": 0.9999}
    draft = rule_set_draft_create(
        definition=definition,
        effective_from=date(2027, 1, 2),
        based_on=RuleSet.objects.get(version="fintech-2026.2"),
        user=policy_manager("maker"),
    )
    evidence = SimulationEvidence(1, draft.pk, definition_sha256(draft.definition))
    rule_set_approve(rule_set=draft, user=policy_manager("checker"), reason="ok", evidence=evidence)
    own = api.post("/api/v1/predict", MID_DSR, format="json").json()
    batch = api.post("/api/v1/predict/batch", {"applications": [MID_DSR]}, format="json").json()
    assert (own["rule_set_version"], own["decision"]) == ("fintech-2027.2", "REVIEW")

    def recorded(request_id: str) -> dict[str, Any]:
        thresholds: dict[str, Any] = DecisionRecord.objects.get(request_id=request_id).thresholds
        return thresholds

    manifest_cut_offs = recorded(model_cut_offs["request_id"])["thresholds"]
    assert manifest_cut_offs != {"approve_below": 0.0001, "reject_from": 0.9999}
    assert set(manifest_cut_offs) == {"approve_below", "reject_from"}
    for request_id in (own["request_id"], batch["results"][0]["request_id"]):
        record = recorded(request_id)
        assert record["thresholds"] == {"approve_below": 0.0001, "reject_from": 0.9999}
        assert record["scaling"] == recorded(model_cut_offs["request_id"])["scaling"]
