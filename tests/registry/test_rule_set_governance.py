"""Rule-set versions as governed data: drafted, checked, approved by a second person with a
simulation of exactly that draft, or refused; published versions never change."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.contrib.auth.models import Group, User

from credit_ml.policy import RuleSet as PolicyRuleSet
from credit_ml.policy import fintech_rule_set_2
from registry import roles, rule_sets
from registry.errors import RuleSetRefused
from registry.models import RuleSet, RuleSetImmutable
from registry.rule_sets import (
    SimulationEvidence,
    definition_sha256,
    rule_set_approve,
    rule_set_draft_create,
    rule_set_draft_update,
    rule_set_refuse,
)
from registry.selectors import rule_set_in_force, rule_set_latest

pytestmark = pytest.mark.django_db

TODAY = date(2026, 12, 1)
NEW_YEAR = date(2027, 1, 1)


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rule_sets, "policy_today", lambda: TODAY)


def tightened(cap: float = 0.25, version: str = "fintech-2027.1") -> dict[str, Any]:
    """``fintech-2026.2`` with the lender's own lower repayment-to-income cap from 2027."""
    definition = copy.deepcopy(fintech_rule_set_2().to_dict())
    definition["version"] = version
    definition["rules"][0]["schedule"].append({"effective_from": "2027-01-01", "value": cap})
    return definition


def stored(definition: dict[str, Any]) -> dict[str, Any]:
    """A definition as a draft stores it: parsed and written back (numbers as floats)."""
    return PolicyRuleSet.from_dict(definition).to_dict()


@pytest.fixture
def manager() -> Callable[[str], User]:
    def make(name: str) -> User:
        user = User.objects.create_user(name, is_staff=True)
        user.groups.add(Group.objects.get(name=roles.CREDIT_POLICY_MANAGER))
        return User.objects.get(pk=user.pk)  # fresh permission cache

    return make


def draft(maker: User, definition: dict[str, Any] | None = None) -> RuleSet:
    return rule_set_draft_create(
        definition=definition or tightened(),
        effective_from=NEW_YEAR,
        based_on=RuleSet.objects.get(version="fintech-2026.2"),
        user=maker,
    )


def evidence_of(rule_set: RuleSet, run_id: int = 7) -> SimulationEvidence:
    return SimulationEvidence(run_id, rule_set.pk, definition_sha256(rule_set.definition))


def test_a_valid_draft_is_stored_as_a_draft_with_its_maker(manager: Any) -> None:
    maker = manager("maker")
    created = draft(maker)
    row = RuleSet.objects.get(version="fintech-2027.1")
    assert (row.pk, row.name, row.status, row.effective_from) == (
        created.pk,
        "fintech",
        "DRAFT",
        NEW_YEAR,
    )
    assert (row.created_by, row.based_on.version if row.based_on else None) == (
        maker,
        "fintech-2026.2",
    )
    assert row.definition == stored(tightened())


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            lambda d: d["rules"][0]["schedule"][-1].update(value=1.5),
            "definition",
            "OJK_MAX_REPAYMENT_TO_INCOME: the cap 1.5 is not between 0 and 100 % "
            "(a fraction in (0, 1]) (from 2027-01-01)",
        ),
        (
            lambda d: d["rules"][4]["schedule"][0].update(value=-5),
            "definition",
            "OJK_MAX_FUNDING: -5 is not a positive amount (from 2024-01-01)",
        ),
        (
            lambda d: d["rules"][1]["schedule"][0].update(value=2.5),
            "definition",
            "OJK_MAX_LENDING_PLATFORMS: 2.5 is not a whole number of at least 1 (from 2024-01-01)",
        ),
        (lambda d: d.update(rules="x"), "definition", None),
    ],
)
def test_bad_parameters_are_refused_naming_the_rule_and_nothing_is_written(
    manager: Any, change: Callable[[dict[str, Any]], None], field: str, message: str | None
) -> None:
    definition = tightened()
    change(definition)
    before = RuleSet.objects.count()
    with pytest.raises(RuleSetRefused) as refused:
        draft(manager("maker"), definition)
    assert list(refused.value.fields) == [field]
    if message is not None:
        assert message in refused.value.fields[field]
    assert RuleSet.objects.count() == before


def test_an_effective_date_in_the_past_is_refused(manager: Any) -> None:
    with pytest.raises(RuleSetRefused) as refused:
        rule_set_draft_create(
            definition=tightened(), effective_from=date(2026, 11, 30), based_on=None, user=None
        )
    assert refused.value.fields == {"definition": ["effective_from: 2026-11-30 is in the past"]}
    assert not RuleSet.objects.filter(version="fintech-2027.1").exists()


def test_a_version_weaker_than_the_ojk_cap_in_force_is_refused(manager: Any) -> None:
    with pytest.raises(RuleSetRefused) as refused:
        draft(manager("maker"), tightened(cap=0.35))
    assert refused.value.fields == {
        "definition": [
            "OJK_MAX_REPAYMENT_TO_INCOME: 35 % on 2027-01-01 is weaker than the statutory 30 %"
        ]
    }
    assert not RuleSet.objects.filter(version="fintech-2027.1").exists()


def test_dropping_the_ojk_minimum_income_of_2027_is_refused(manager: Any) -> None:
    definition = tightened()
    definition["rules"][3]["schedule"] = [{"effective_from": "2024-01-01", "value": None}]
    with pytest.raises(RuleSetRefused) as refused:
        draft(manager("maker"), definition)
    assert refused.value.fields["definition"] == [
        "OJK_MIN_INCOME: not in force on 2027-01-01, where the statutory limit is IDR 3,000,000"
    ]


def test_the_drafter_cannot_approve_their_own_draft(manager: Any) -> None:
    maker = manager("maker")
    created = draft(maker)
    with pytest.raises(RuleSetRefused) as refused:
        rule_set_approve(rule_set=created, user=maker, reason="ok", evidence=evidence_of(created))
    assert refused.value.fields == {
        "user": ["a draft is approved by someone other than its drafter"]
    }
    assert RuleSet.objects.get(pk=created.pk).status == "DRAFT"


def test_a_person_without_the_approval_permission_cannot_approve(manager: Any) -> None:
    created = draft(manager("maker"))
    outsider = User.objects.create_user("outsider", is_staff=True)
    with pytest.raises(RuleSetRefused) as refused:
        rule_set_approve(
            rule_set=created, user=outsider, reason="ok", evidence=evidence_of(created)
        )
    assert refused.value.fields == {"user": ["lacks the permission to approve rule sets"]}
    assert RuleSet.objects.get(pk=created.pk).status == "DRAFT"


def test_publication_without_a_simulation_of_this_draft_is_refused(manager: Any) -> None:
    created = draft(manager("maker"))
    checker = manager("checker")
    with pytest.raises(RuleSetRefused) as refused:
        rule_set_approve(rule_set=created, user=checker, reason="ok", evidence=None)
    assert refused.value.fields == {
        "simulation": ["attach a finished simulation run of this draft"]
    }
    simulated = evidence_of(created)
    rule_set_draft_update(rule_set=created, definition=tightened(cap=0.2), effective_from=NEW_YEAR)
    with pytest.raises(RuleSetRefused) as refused:
        rule_set_approve(rule_set=created, user=checker, reason="ok", evidence=simulated)
    assert refused.value.fields == {
        "simulation": ["the draft changed after the simulation run: simulate it again"]
    }
    row = RuleSet.objects.get(pk=created.pk)
    assert (row.status, row.reviewed_by, row.simulation_run_id) == ("DRAFT", None, None)


def test_a_second_manager_publishes_and_who_when_why_are_kept(manager: Any) -> None:
    created = draft(manager("maker"))
    checker = manager("checker")
    rule_set_approve(
        rule_set=created, user=checker, reason="Q3 losses", evidence=evidence_of(created, 41)
    )
    row = RuleSet.objects.get(pk=created.pk)
    assert (row.status, row.reviewed_by, row.review_reason) == ("PUBLISHED", checker, "Q3 losses")
    assert row.reviewed_at is not None
    assert (row.simulation_run_id, row.simulated_sha256) == (
        41,
        definition_sha256(stored(tightened())),
    )


def test_a_published_version_never_changes(manager: Any) -> None:
    created = draft(manager("maker"))
    rule_set_approve(
        rule_set=created, user=manager("checker"), reason="ok", evidence=evidence_of(created)
    )
    row = RuleSet.objects.get(pk=created.pk)
    row.definition = tightened(cap=0.1)
    with pytest.raises(RuleSetImmutable):
        row.save()
    with pytest.raises(RuleSetImmutable):
        row.delete()
    with pytest.raises(RuleSetRefused) as refused:
        rule_set_draft_update(rule_set=row, definition=tightened(0.1), effective_from=NEW_YEAR)
    assert refused.value.fields == {"status": ["fintech-2027.1 is published, not a draft"]}
    assert RuleSet.objects.get(pk=created.pk).definition == stored(tightened())


def test_a_refusal_needs_a_reason_and_is_recorded(manager: Any) -> None:
    created = draft(manager("maker"))
    checker = manager("checker")
    with pytest.raises(RuleSetRefused):
        rule_set_refuse(rule_set=created, user=checker, reason="  ")
    assert RuleSet.objects.get(pk=created.pk).status == "DRAFT"
    rule_set_refuse(rule_set=created, user=checker, reason="too strict for payroll loans")
    row = RuleSet.objects.get(pk=created.pk)
    assert (row.status, row.reviewed_by, row.review_reason) == (
        "REFUSED",
        checker,
        "too strict for payroll loans",
    )
    with pytest.raises(RuleSetRefused):
        rule_set_approve(rule_set=row, user=checker, reason="", evidence=evidence_of(row))


def test_clients_switch_to_a_published_successor_on_its_effective_date(manager: Any) -> None:
    current = RuleSet.objects.get(version="fintech-2026.2")
    created = draft(manager("maker"))
    assert rule_set_in_force(rule_set=current, on=NEW_YEAR) == current  # a draft: not yet
    rule_set_approve(
        rule_set=created, user=manager("checker"), reason="ok", evidence=evidence_of(created)
    )
    assert rule_set_in_force(rule_set=current, on=date(2026, 12, 31)) == current
    assert rule_set_in_force(rule_set=current, on=NEW_YEAR).version == "fintech-2027.1"
    assert rule_set_latest(name="fintech", on=date(2026, 12, 31)) == current
    assert rule_set_latest(name="fintech", on=NEW_YEAR).version == "fintech-2027.1"
    old = RuleSet.objects.get(version="fintech-2026.1")  # not succeeded: stays as it is
    assert rule_set_in_force(rule_set=old, on=NEW_YEAR) == old
