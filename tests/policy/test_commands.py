"""export_rule_set / import_rule_set round trip, and simulate_policy --json."""

from __future__ import annotations

import copy
import json
import re
from datetime import date
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import CommandError, call_command

from audit.models import DecisionRecord
from credit_ml.policy import fintech_rule_set_2
from policy.models import SimulationRun
from registry import rule_sets
from registry.models import RuleSet
from registry.rule_sets import rule_set_draft_create
from registry.services import model_version_promote
from tests.policy.conftest import HIGH_DSR, MID_DSR, Record, client_on, varied

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rule_sets, "policy_today", lambda: date(2026, 12, 1))


def draft_2027(maker: Any = None) -> RuleSet:
    definition = copy.deepcopy(fintech_rule_set_2().to_dict())
    definition["version"] = "fintech-2027.1"
    definition["pd_thresholds"] = {"approve_below": 0.05, "reject_from": 0.15}
    return rule_set_draft_create(
        definition=definition,
        effective_from=date(2027, 1, 1),
        based_on=RuleSet.objects.get(version="fintech-2026.2"),
        user=maker,
    )


def test_export_then_import_gives_back_the_same_draft(tmp_path: Path, policy_manager: Any) -> None:
    original = draft_2027()
    exported = run("export_rule_set", "fintech", "--version", "2027.1")
    assert yaml.safe_load(exported) == {
        "name": "fintech",
        "version": "fintech-2027.1",
        "effective_from": "2027-01-01",
        "based_on": "fintech-2026.2",
        "status": "DRAFT",
        "definition": original.definition,
    }
    saved = (original.definition, original.effective_from, original.based_on)
    original.delete()  # a draft may go; the file in version control stays
    path = tmp_path / "fintech-2027.1.yaml"
    path.write_text(exported, encoding="utf-8")
    maker = policy_manager("maker")
    printed = run("import_rule_set", str(path), "--user", "maker")
    imported = RuleSet.objects.get(version="fintech-2027.1")
    assert printed == "Draft fintech-2027.1 imported (effective 2027-01-01).\n"
    assert (imported.definition, imported.effective_from, imported.based_on) == saved
    assert (imported.status, imported.created_by) == ("DRAFT", maker)


def test_an_import_weaker_than_the_ojk_floor_is_refused_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    document = yaml.safe_load(run("export_rule_set", "fintech", "--version", "fintech-2026.2"))
    document["version"] = document["definition"]["version"] = "fintech-2027.9"
    document["effective_from"] = "2027-02-01"
    document["definition"]["rules"][1]["schedule"] = [{"effective_from": "2024-01-01", "value": 5}]
    path = tmp_path / "weak.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    before = RuleSet.objects.count()
    with pytest.raises(CommandError, match="OJK_MAX_LENDING_PLATFORMS: 5 on 2027-02-01 is weaker"):
        run("import_rule_set", str(path))
    assert RuleSet.objects.count() == before


def test_simulate_policy_prints_the_report_as_json(register: Any, record: Record) -> None:
    model_version_promote(label=register("m-policy-a").label, reason="champion")
    client = client_on("los-cli", "fintech-2026.2")
    for i in range(6):
        record(varied((MID_DSR, HIGH_DSR)[i % 2], i), client=client, day=date(2026, 7, 1))
    draft_2027()
    printed = run(
        "simulate_policy",
        "--from",
        "2026-07-01",
        "--to",
        "2026-07-31",
        "--rule-set",
        "fintech",
        "--version",
        "2027.1",
        "--json",
    )
    report = json.loads(printed)
    recorded = {
        d: DecisionRecord.objects.filter(decision=d).count()
        for d in ("APPROVE", "REVIEW", "REJECT")
    }
    assert report["records"] == 6
    assert report["fidelity"] == {"reproduced": 6, "mismatched": 0, "mismatches": []}
    assert report["before"] == recorded
    assert sum(report["after"].values()) == 6
    assert report["rule_hits"]["before"] == {"OJK_MAX_REPAYMENT_TO_INCOME": 3}
    assert report["rule_hits"]["after"] == {"OJK_MAX_REPAYMENT_TO_INCOME": 3}
    assert set(report["flips"]) == {f"{a}->{b}" for a in recorded for b in recorded if a != b}
    assert SimulationRun.objects.get().report == report


def test_simulate_policy_refuses_an_unknown_version_and_writes_nothing() -> None:
    with pytest.raises(CommandError, match=re.escape("Rule set 'fintech' has no version '9.9'.")):
        run(
            "simulate_policy",
            "--from",
            "2026-07-01",
            "--to",
            "2026-07-31",
            "--rule-set",
            "fintech",
            "--version",
            "9.9",
        )
    assert SimulationRun.objects.count() == 0
