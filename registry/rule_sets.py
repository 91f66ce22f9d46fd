"""Governing rule-set versions: draft, validate, approve (maker-checker) or refuse.

A credit-policy manager drafts a version (``rule_set_draft_create``, ``rule_set_draft_update``);
its parameters are checked (``credit_ml.policy_checks.rule_set_problems``) and it may never be
weaker than the statutory rules in force from its effective date (``floor_breaches``). A
second person holding ``registry.approve_ruleset`` publishes it (``rule_set_approve``), never
its own drafter, and only with a finished simulation run of exactly that draft as evidence
(``SimulationEvidence``: the interface app that runs simulations builds it); or refuses it
(``rule_set_refuse``) with a reason. Every refusal raises ``RuleSetRefused`` naming the
fields and writes nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import yaml
from django.db import transaction
from django.utils import timezone

from credit_ml.policy import RuleSet as PolicyRuleSet
from credit_ml.policy import fintech_rule_set_2
from credit_ml.policy_checks import floor_breaches, rule_set_problems
from registry.errors import RuleSetRefused
from registry.models import RuleSet

if TYPE_CHECKING:
    from django.contrib.auth.models import User

#: The permission that lets a person publish or refuse another person's draft.
APPROVE_PERMISSION = "registry.approve_ruleset"
#: Prefix of the statutory (OJK) rules' codes.
STATUTORY_PREFIX = "OJK_"


@dataclass(frozen=True)
class SimulationEvidence:
    """A finished simulation run shown as evidence for publishing a draft: which run, which
    rule-set row it simulated and the SHA-256 of the definition it simulated."""

    run_id: int
    rule_set_id: int
    definition_sha256: str


def policy_today() -> date:
    """Today in the service's time zone: new versions take effect from it on at the
    earliest. Tests freeze it by replacing this function."""
    return timezone.localdate()


def definition_sha256(definition: Mapping[str, Any]) -> str:
    """SHA-256 of a definition's canonical JSON (sorted keys, no whitespace), hex."""
    text = json.dumps(definition, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def statutory_floor(rule_set: PolicyRuleSet) -> PolicyRuleSet | None:
    """The statutory rules a version must not fall below: OJK's fintech (LPBBTI) rules for
    the ``fintech`` rule set or any set carrying an OJK rule; ``None`` for a bank's own."""
    regulated = rule_set.name == "fintech" or any(
        rule.code.startswith(STATUTORY_PREFIX) for rule in rule_set.rules
    )
    return fintech_rule_set_2() if regulated else None


def rule_set_parse(*, definition: Any, effective_from: date, today: date) -> PolicyRuleSet:
    """The checked rule set of a definition, or ``RuleSetRefused`` naming what is wrong."""
    if not isinstance(definition, Mapping):
        raise RuleSetRefused({"definition": ["must be an object (a rule set's to_dict)"]})
    try:
        parsed = PolicyRuleSet.from_dict(definition)
    except ValueError as exc:
        raise RuleSetRefused({"definition": [_readable(exc)]}) from None
    problems = rule_set_problems(parsed, effective_from=effective_from, today=today)
    floor = statutory_floor(parsed)
    if floor is not None:
        problems += floor_breaches(parsed, floor, since=effective_from)
    if problems:
        raise RuleSetRefused({"definition": problems})
    return parsed


def _readable(exc: ValueError) -> str:
    return str(exc).split("\n", 1)[0][:300]


def rule_set_draft_create(
    *,
    definition: Mapping[str, Any],
    effective_from: date,
    based_on: RuleSet | None,
    user: User | None,
) -> RuleSet:
    """A new DRAFT version; ``based_on`` is the version it succeeds (same name)."""
    parsed = rule_set_parse(
        definition=definition, effective_from=effective_from, today=policy_today()
    )
    if based_on is not None and based_on.name != parsed.name:
        raise RuleSetRefused(
            {
                "based_on": [
                    f"{based_on.version} is a {based_on.name!r} rule set, not {parsed.name!r}"
                ]
            }
        )
    if RuleSet.objects.filter(version=parsed.version).exists():
        raise RuleSetRefused({"version": [f"{parsed.version} exists already"]})
    return RuleSet.objects.create(
        name=parsed.name,
        version=parsed.version,
        definition=parsed.to_dict(),
        effective_from=effective_from,
        based_on=based_on,
        created_by=user,
        status=RuleSet.Status.DRAFT,
    )


def rule_set_draft_update(
    *, rule_set: RuleSet, definition: Mapping[str, Any], effective_from: date
) -> RuleSet:
    """Change a DRAFT's definition or date (its simulation evidence no longer matches)."""
    with transaction.atomic():
        locked = RuleSet.objects.select_for_update().get(pk=rule_set.pk)
        _require_draft(locked)
        parsed = rule_set_parse(
            definition=definition, effective_from=effective_from, today=policy_today()
        )
        if (parsed.name, parsed.version) != (locked.name, locked.version):
            raise RuleSetRefused({"version": ["a draft keeps its name and version"]})
        locked.definition = parsed.to_dict()
        locked.effective_from = effective_from
        locked.save(update_fields=["definition", "effective_from"])
    return locked


def rule_set_approve(
    *,
    rule_set: RuleSet,
    user: User,
    reason: str,
    evidence: SimulationEvidence | None,
) -> RuleSet:
    """Publish a DRAFT: by a second person with the approval permission, with a simulation
    of exactly this draft as evidence, its checks passed again today."""
    with transaction.atomic():
        locked = RuleSet.objects.select_for_update().get(pk=rule_set.pk)
        _require_reviewer(locked, user)
        _require_evidence(locked, evidence)
        rule_set_parse(
            definition=locked.definition,
            effective_from=locked.effective_from,
            today=policy_today(),
        )
        assert evidence is not None
        locked.simulation_run_id = evidence.run_id
        locked.simulated_sha256 = evidence.definition_sha256
        return _settle(locked, RuleSet.Status.PUBLISHED, user=user, reason=reason)


def rule_set_refuse(*, rule_set: RuleSet, user: User, reason: str) -> RuleSet:
    """Refuse a DRAFT (by a person with the approval permission, with a reason)."""
    if not reason.strip():
        raise RuleSetRefused({"reason": ["say why the draft is refused"]})
    with transaction.atomic():
        locked = RuleSet.objects.select_for_update().get(pk=rule_set.pk)
        _require_reviewer(locked, user)
        return _settle(locked, RuleSet.Status.REFUSED, user=user, reason=reason)


def _require_draft(rule_set: RuleSet) -> None:
    if rule_set.status != RuleSet.Status.DRAFT:
        raise RuleSetRefused(
            {"status": [f"{rule_set.version} is {rule_set.status.lower()}, not a draft"]}
        )


def _require_reviewer(rule_set: RuleSet, user: User) -> None:
    _require_draft(rule_set)
    if not user.has_perm(APPROVE_PERMISSION):
        raise RuleSetRefused({"user": ["lacks the permission to approve rule sets"]})
    if rule_set.created_by_id is not None and rule_set.created_by_id == user.pk:
        raise RuleSetRefused({"user": ["a draft is approved by someone other than its drafter"]})


def _require_evidence(rule_set: RuleSet, evidence: SimulationEvidence | None) -> None:
    if evidence is None:
        raise RuleSetRefused({"simulation": ["attach a finished simulation run of this draft"]})
    if evidence.rule_set_id != rule_set.pk:
        raise RuleSetRefused({"simulation": ["the simulation run is of another rule set"]})
    if evidence.definition_sha256 != definition_sha256(rule_set.definition):
        raise RuleSetRefused(
            {"simulation": ["the draft changed after the simulation run: simulate it again"]}
        )


def _settle(rule_set: RuleSet, status: str, *, user: User, reason: str) -> RuleSet:
    rule_set.status = status
    rule_set.reviewed_by_id = user.pk
    rule_set.reviewed_at = timezone.now()
    rule_set.review_reason = reason.strip()
    rule_set.save()
    return rule_set


# --------------------------------------------------------------------------------------
# Export and import (YAML), so that policies are reviewed in version control
# --------------------------------------------------------------------------------------


def rule_set_to_yaml(rule_set: RuleSet) -> str:
    """A version as YAML: its name, version, effective date, predecessor, status (for the
    reader; an import always makes a draft) and definition."""
    document = {
        "name": rule_set.name,
        "version": rule_set.version,
        "effective_from": rule_set.effective_from.isoformat(),
        "based_on": rule_set.based_on.version if rule_set.based_on else None,
        "status": rule_set.status,
        "definition": rule_set.definition,
    }
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


def rule_set_from_yaml(*, text: str, user: User | None) -> RuleSet:
    """A new DRAFT from ``rule_set_to_yaml`` output, checked as any draft is."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RuleSetRefused({"file": [f"not valid YAML: {_readable(ValueError(exc))}"]}) from None
    if not isinstance(document, dict):
        raise RuleSetRefused({"file": ["must be a mapping (see export_rule_set)"]})
    missing = [key for key in ("effective_from", "definition") if key not in document]
    if missing:
        raise RuleSetRefused({key: ["is required"] for key in missing})
    return rule_set_draft_create(
        definition=document["definition"],
        effective_from=_date(document["effective_from"]),
        based_on=_predecessor(document.get("based_on")),
        user=user,
    )


def _date(value: Any) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise RuleSetRefused(
            {"effective_from": [f"{value!r} is not a date (YYYY-MM-DD)"]}
        ) from None


def _predecessor(version: Any) -> RuleSet | None:
    if version is None:
        return None
    found = RuleSet.objects.filter(version=str(version), status=RuleSet.Status.PUBLISHED).first()
    if found is None:
        raise RuleSetRefused({"based_on": [f"no published version {version!r}"]})
    return found
