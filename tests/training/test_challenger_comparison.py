from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from audit.models import DecisionRecord, Outcome
from audit.services import decision_records_create
from registry.models import ModelVersion
from tests.audit.conftest import real_decision, recorded
from training.comparison import challenger_comparison

pytestmark = pytest.mark.django_db

# (champion decision, champion grade, champion PD, challenger PD, challenger decision, outcome)
ROWS: list[tuple[str, str, float, float, str, bool | None]] = [
    ("APPROVE", "A", 0.02, 0.03, "APPROVE", False),
    ("APPROVE", "B", 0.05, 0.10, "REVIEW", True),
    ("REVIEW", "C", 0.12, 0.25, "REJECT", True),
    ("REJECT", "D", 0.30, 0.26, "REJECT", False),
    ("REVIEW", "C", 0.15, 0.05, "APPROVE", None),
]


#: The challenger's model decisions on two applications the champion's rules rejected (the
#: real decision: a REJECT by the repayment-to-income cap): not flips, the same rule
#: rejects the challenger's decision too.
RULE_REJECTED_SHADOWS: list[tuple[float, str]] = [(0.04, "APPROVE"), (0.09, "REVIEW")]


def _shadow(pd: float, decision: str) -> dict[str, Any]:
    return {
        "model_label": "challenger-1",
        "probability_of_default": pd,
        "credit_score": 600,
        "risk_grade": "B",
        "model_decision": decision,
    }


@pytest.fixture
def shadowed(make_version: Callable[..., ModelVersion]) -> list[DecisionRecord]:
    version = make_version("champion")
    decisions = [
        recorded(
            version,
            decision=decision,
            risk_grade=grade,
            probability_of_default=pd,
            failed_rules=[],  # the rules passed: the decision is the model's
            shadow=_shadow(shadow_pd, shadow_decision),
        )
        for decision, grade, pd, shadow_pd, shadow_decision, _ in ROWS
    ]
    decisions += [recorded(version, shadow=_shadow(*row)) for row in RULE_REJECTED_SHADOWS]
    decisions.append(recorded(version, shadow=None))  # no challenger at the time
    decisions.append(
        recorded(version, shadow={**decisions[0].shadow, "model_label": "other"})  # type: ignore[dict-item]
    )
    records = decision_records_create(decisions=decisions)
    for record, row in zip(records, ROWS, strict=False):
        if row[5] is not None:
            Outcome.objects.create(
                request_id=record.request_id, defaulted=row[5], observed_at=date(2026, 9, 30)
            )
    return records


def test_the_comparison_counts_agreement_pd_differences_flips_and_aucs(
    shadowed: list[DecisionRecord],
) -> None:
    comparison = challenger_comparison(label="challenger-1")
    real_pd = real_decision().decision.probability_of_default
    assert comparison.count == 7
    assert comparison.agreement_rate == pytest.approx(4 / 7)
    assert comparison.model_agreement_rate == pytest.approx(2 / 5)
    assert comparison.mean_abs_pd_difference == pytest.approx(
        (0.01 + 0.05 + 0.13 + 0.04 + 0.10 + abs(0.04 - real_pd) + abs(0.09 - real_pd)) / 7
    )
    assert comparison.max_abs_pd_difference == pytest.approx(
        max(0.13, abs(0.04 - real_pd), abs(0.09 - real_pd))
    )
    assert comparison.flips_by_grade == {"B": 1, "C": 2}
    assert comparison.rule_rejections == 2
    assert comparison.rule_rejections_by_rule == {"OJK_MAX_REPAYMENT_TO_INCOME": 2}
    assert comparison.with_outcome == 4
    # champion PDs 0.02 (good), 0.05 (bad), 0.12 (bad), 0.30 (good): 2 of 4 pairs ordered
    assert comparison.champion_auc == pytest.approx(0.5)
    # challenger PDs 0.03 (good), 0.10 (bad), 0.25 (bad), 0.26 (good): 2 of 4 pairs ordered
    assert comparison.challenger_auc == pytest.approx(0.5)


def test_the_aucs_are_none_without_both_outcome_classes(shadowed: list[DecisionRecord]) -> None:
    Outcome.objects.filter(defaulted=True).delete()
    comparison = challenger_comparison(label="challenger-1")
    assert (comparison.with_outcome, comparison.champion_auc, comparison.challenger_auc) == (
        2,
        None,
        None,
    )


def test_an_unknown_challenger_has_an_empty_comparison(db: None) -> None:
    comparison = challenger_comparison(label="ghost")
    assert comparison.to_dict() == {
        "label": "ghost",
        "count": 0,
        "agreement_rate": None,
        "model_agreement_rate": None,
        "mean_abs_pd_difference": None,
        "max_abs_pd_difference": None,
        "flips_by_grade": {},
        "rule_rejections": 0,
        "rule_rejections_by_rule": {},
        "with_outcome": 0,
        "champion_auc": None,
        "challenger_auc": None,
    }


def test_a_rule_rejection_is_never_a_flip_whatever_the_challengers_model_says(
    make_version: Callable[..., ModelVersion],
) -> None:
    """Today's report counted these as flips: the champion's REJECT came from a rule."""
    version = make_version("champion")
    decision_records_create(
        decisions=[recorded(version, shadow=_shadow(0.01, "APPROVE")) for _ in range(3)]
    )
    comparison = challenger_comparison(label="challenger-1")
    assert (comparison.count, comparison.agreement_rate, comparison.flips_by_grade) == (3, 1.0, {})
    assert (comparison.rule_rejections, comparison.model_agreement_rate) == (3, None)


def test_compare_challenger_prints_json(shadowed: list[DecisionRecord]) -> None:
    stdout = StringIO()
    call_command("compare_challenger", "challenger-1", "--json", stdout=stdout)
    data: dict[str, Any] = json.loads(stdout.getvalue())
    assert (data["count"], data["flips_by_grade"], data["with_outcome"]) == (7, {"B": 1, "C": 2}, 4)
    assert data["rule_rejections_by_rule"] == {"OJK_MAX_REPAYMENT_TO_INCOME": 2}
    assert data == challenger_comparison(label="challenger-1").to_dict()


def test_compare_challenger_prints_a_readable_summary(shadowed: list[DecisionRecord]) -> None:
    stdout = StringIO()
    call_command("compare_challenger", "challenger-1", stdout=stdout)
    lines = stdout.getvalue().splitlines()
    assert lines[0] == "challenger challenger-1: 7 shadowed decision(s)"
    assert lines[1] == "agreement rate (both under the same rules): 0.5714"
    assert lines[4] == "decision flips by champion grade: B: 1, C: 2"
    assert lines[5] == (
        "rejected by rules (both sides, not flips): 2 (OJK_MAX_REPAYMENT_TO_INCOME: 2)"
    )
    assert lines[6] == "model agreement rate (decisions no rule rejected): 0.4000"


def _viewer(codename: str | None) -> User:
    user = User.objects.create_user(f"staff-{codename}", password="pw", is_staff=True)
    if codename:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return user


def test_the_admin_comparison_page_needs_the_view_permission(
    client: Client, shadowed: list[DecisionRecord], make_version: Callable[..., ModelVersion]
) -> None:
    challenger = make_version("challenger-1")
    url = reverse("admin:registry_modelversion_challenger", args=[challenger.pk])
    client.force_login(_viewer(None))
    assert client.get(url).status_code == 403
    client.force_login(_viewer("view_modelversion"))
    response = client.get(url)
    assert response.status_code == 200
    assert response.context["comparison"].count == 7
    assert b'<td id="count">7</td>' in response.content
    assert b'<td id="rule-rejections">2</td>' in response.content
    change = client.get(reverse("admin:registry_modelversion_change", args=[challenger.pk]))
    assert url.encode() in change.content
