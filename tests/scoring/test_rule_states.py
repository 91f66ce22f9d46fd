"""/predict under fintech-2026.2: each rule's state, and a rule not checked means REVIEW."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from rest_framework.test import APIClient

from audit.models import DecisionRecord
from credit_ml.policy import fintech_rule_set
from registry.models import ApiClient, ModelVersion, RuleSet
from tests.scoring.support import VALID, application, keyed

URL = "/api/v1/predict"
PLATFORMS = "OJK_MAX_LENDING_PLATFORMS"


def predict(api: APIClient, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post(URL, body, format="json")
    assert response.status_code == 200, response.content
    answer: dict[str, Any] = response.json()
    return answer


def test_every_rule_reports_its_state(api: APIClient, champion: ModelVersion, on_date: Any) -> None:
    on_date(date(2026, 3, 1))
    body = predict(api, VALID)
    assert body["rule_set_version"] == "fintech-2026.2"
    assert [(r["code"], r["state"]) for r in body["policy"]["rules"]] == [
        ("OJK_MAX_REPAYMENT_TO_INCOME", "passed"),
        (PLATFORMS, "passed"),
        ("OJK_MIN_AGE", "passed"),
        ("OJK_MIN_INCOME", "not_in_force"),
        ("OJK_MAX_FUNDING", "passed"),
    ]
    assert DecisionRecord.objects.get().policy[3]["state"] == "not_in_force"


def test_without_platforms_an_approvable_application_goes_to_review(
    api: APIClient, champion: ModelVersion, on_date: Any
) -> None:
    on_date(date(2026, 3, 1))
    assert predict(api, VALID)["decision"] == "APPROVE"
    body = predict(api, application(active_lending_platforms=None))
    platforms = body["policy"]["rules"][1]
    assert (platforms["code"], platforms["state"], platforms["passed"]) == (
        PLATFORMS,
        "not_checked",
        True,
    )
    assert (body["decision"], body["policy"]["passed"]) == ("REVIEW", True)
    assert body["reasons"][0]["code"] == PLATFORMS
    assert body["reasons"][0]["contribution"] is None
    record = DecisionRecord.objects.get(request_id=body["request_id"])
    assert (record.decision, record.policy[1]["state"]) == ("REVIEW", "not_checked")


def test_a_client_kept_on_fintech_2026_1_is_approved_as_before(
    db: None, champion: ModelVersion, on_date: Any
) -> None:
    on_date(date(2026, 3, 1))
    old = RuleSet.objects.get(version=fintech_rule_set().version)
    _client, key = ApiClient.objects.create_key(name="los-old", rule_set=old)
    body = predict(keyed(key), application(active_lending_platforms=None))
    assert (body["rule_set_version"], body["decision"]) == ("fintech-2026.1", "APPROVE")
    assert body["policy"]["rules"][1]["state"] == "not_checked"


def _migrate(targets: list[tuple[str, str]]) -> Any:
    """Migrate to ``targets`` and return the historical apps of that state."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_moves_clients_on_the_old_built_in_versions_to_the_new_ones() -> None:
    old = _migrate([("registry", "0004_alias_change_may_clear")])
    assert not old.get_model("registry", "RuleSet").objects.filter(version="fintech-2026.2")
    fintech = old.get_model("registry", "RuleSet").objects.get(version="fintech-2026.1")
    before = old.get_model("registry", "ApiClient").objects.create(
        name="los-before", rule_set=fintech, prefix="abc12345", hashed_key="x", id="abc12345.x"
    )
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    assert ApiClient.objects.get(pk=before.pk).rule_set.version == "fintech-2026.2"
    assert RuleSet.objects.get(version="fintech-2026.1").definition == (
        fintech_rule_set().to_dict()
    )
    bank = RuleSet.objects.get(version="bank-2026.2-dsr35").definition
    assert (bank["unchecked"], bank["max_term_months"]) == ("pass", 360)
    fintech = RuleSet.objects.get(version="fintech-2026.2").definition
    assert (fintech["unchecked"], fintech["max_term_months"]) == ("review", 24)
