"""Reads from the registry: model versions, the champion's schema, rule sets."""

from __future__ import annotations

import json
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from credit_ml.artifacts import ArtifactError, read_manifest, read_verified_files
from credit_ml.policy import RuleSet as PolicyRuleSet
from credit_ml.schema import INDONESIAN_SCHEMA, ApplicationSchema, FieldSpec
from credit_ml.scoring import ModelManifest
from credit_ml.spec import DatasetSpec
from registry.errors import ModelVersionNotReady
from registry.models import ApiClient, ModelAlias, ModelAliasChange, ModelVersion, RuleSet


def champion_version() -> ModelVersion | None:
    """The version the ``champion`` alias points at, or None before the first promotion."""
    alias = (
        ModelAlias.objects.select_related("version").filter(name=ModelAlias.Name.CHAMPION).first()
    )
    return alias.version if alias is not None else None


def model_version_list(*, include_failed: bool = True) -> QuerySet[ModelVersion]:
    """Versions, newest first, annotated with ``champion_flag`` and ``challenger_flag`` (one
    query, no N+1); without FAILED ones when ``include_failed`` is False."""
    champion = ModelAlias.objects.filter(name=ModelAlias.Name.CHAMPION, version=OuterRef("pk"))
    challenger = ModelAlias.objects.filter(name=ModelAlias.Name.CHALLENGER, version=OuterRef("pk"))
    versions = ModelVersion.objects.annotate(
        champion_flag=Exists(champion), challenger_flag=Exists(challenger)
    )
    if not include_failed:
        versions = versions.exclude(status=ModelVersion.Status.FAILED)
    return versions.order_by("-created_at", "-id")


def model_version_aliases(*, version: ModelVersion) -> list[str]:
    """The alias names pointing at a version from ``model_version_list`` (e.g. ["champion"])."""
    flags = {
        ModelAlias.Name.CHAMPION.value: getattr(version, "champion_flag", False),
        ModelAlias.Name.CHALLENGER.value: getattr(version, "challenger_flag", False),
    }
    return [name for name, flag in flags.items() if flag]


def model_version_was_champion(*, version: ModelVersion) -> bool:
    """Whether the ``champion`` alias ever pointed at the version (a former champion)."""
    return ModelAliasChange.objects.filter(
        alias=ModelAlias.Name.CHAMPION, to_version=version
    ).exists()


def model_version_get(*, label: str) -> ModelVersion:
    """The version with this label; raises ``ModelVersion.DoesNotExist``."""
    return model_version_list().get(label=label)


def metrics_summary(*, metrics: dict[str, Any]) -> dict[str, Any]:
    """The registry's metric names for display: the core's ``auc`` is the test-split AUC."""
    summary = {key: value for key, value in metrics.items() if key != "auc"}
    return {
        "test_auc": metrics.get("auc"),
        "cv_auc_mean": metrics.get("cv_auc_mean"),
        **summary,
    }


def model_version_spec(*, version: ModelVersion) -> DatasetSpec | None:
    """The lender's dataset spec the version was trained with, or None (built-in schema)."""
    return DatasetSpec.from_dict(version.dataset_spec) if version.dataset_spec else None


def model_version_schema(*, version: ModelVersion | None) -> ApplicationSchema:
    """The ``ApplicationSchema`` a version's applications follow (built-in if no spec)."""
    spec = model_version_spec(version=version) if version is not None else None
    return spec.schema() if spec is not None else INDONESIAN_SCHEMA


def model_version_schema_changes(
    *, serving: ModelVersion, candidate: ModelVersion
) -> tuple[str, ...]:
    """What loan systems sending ``serving``'s applications would meet with ``candidate``."""
    return schema_changes(
        serving=model_version_schema(version=serving),
        candidate=model_version_schema(version=candidate),
    )


def schema_changes(*, serving: ApplicationSchema, candidate: ApplicationSchema) -> tuple[str, ...]:
    """The ways in which ``candidate`` refuses applications that ``serving`` accepts.

    One ``"field: problem"`` line per affected field, in ``serving``'s field order, then
    the candidate's new required fields. A field no longer accepted (the loan system gets
    400 "Unknown field" for sending it, even as null), a field that becomes required, a
    number that becomes text (or the reverse) or a whole number, listed values dropped or a
    free text that becomes a list, a narrower range or a shorter maximum length. Changes
    that refuse nothing (a new optional field, a field that becomes optional, more listed
    values, a wider range) are not listed. Empty: every application ``serving`` accepts
    passes ``candidate``'s validation too.
    """
    changes = [
        f"{spec.name}: {problem}"
        for spec in serving.fields
        for problem in _field_changes(spec, candidate)
    ]
    changes += [
        f"{spec.name}: a new required field"
        for spec in candidate.fields
        if spec.required and spec.name not in serving.names
    ]
    return tuple(changes)


def _field_changes(old: FieldSpec, schema: ApplicationSchema) -> list[str]:
    if old.name not in schema.names:
        return ["no longer accepted"]
    new = schema.field(old.name)
    problems = [] if old.required or not new.required else ["becomes required"]
    if (old.dtype == "str") != (new.dtype == "str"):
        return [*problems, f"changes from {_type_name(old)} to {_type_name(new)}"]
    if old.dtype == "float" and new.dtype == "int":
        problems.append("must now be a whole number")
    return problems + _choice_changes(old, new) + _limit_changes(old, new)


def _type_name(spec: FieldSpec) -> str:
    return "text" if spec.dtype == "str" else "a number"


def _choice_changes(old: FieldSpec, new: FieldSpec) -> list[str]:
    if not new.choices:
        return []
    if not old.choices:
        return [f"accepts only {', '.join(new.choices)} now"]
    dropped = [value for value in old.choices if value not in new.choices]
    return [f"no longer accepts {', '.join(dropped)}"] if dropped else []


def _limit_changes(old: FieldSpec, new: FieldSpec) -> list[str]:
    problems = []
    if new.minimum is not None and (old.minimum is None or new.minimum > old.minimum):
        problems.append(f"minimum rises from {_limit(old.minimum)} to {new.minimum:g}")
    if new.maximum is not None and (old.maximum is None or new.maximum < old.maximum):
        problems.append(f"maximum falls from {_limit(old.maximum)} to {new.maximum:g}")
    if new.max_length is not None and (old.max_length is None or new.max_length < old.max_length):
        problems.append(f"maximum length falls from {old.max_length or 'none'} to {new.max_length}")
    return problems


def _limit(value: float | None) -> str:
    return "none" if value is None else f"{value:g}"


def champion_schema() -> ApplicationSchema:
    """The schema scoring must validate against: the champion's, built-in before one exists.

    For the scoring layer: ``validate_record(champion_schema(), body)`` instead of the
    built-in ``INDONESIAN_SCHEMA``, so a champion trained on a lender's spec accepts that
    lender's fields (protected and identity columns optional, never model inputs).
    """
    return model_version_schema(version=champion_version())


def rule_set_latest(*, name: str, on: date | None = None) -> RuleSet:
    """The newest PUBLISHED version of the rule set called ``name`` in force on ``on``
    (today in the service's time zone by default): drafts, refused versions and versions
    that take effect later are never picked."""
    day = timezone.localdate() if on is None else on
    rule_set = (
        RuleSet.objects.filter(name=name, status=RuleSet.Status.PUBLISHED, effective_from__lte=day)
        .order_by("-effective_from", "-created_at", "-id")
        .first()
    )
    if rule_set is None:
        raise RuleSet.DoesNotExist(f"No rule set named {name!r}.")
    return rule_set


#: How many successors ``rule_set_in_force`` follows at most (a guard, not a limit met).
MAX_SUCCESSION = 32


def rule_set_in_force(*, rule_set: RuleSet, on: date) -> RuleSet:
    """The version an API client assigned ``rule_set`` decides under on ``on``.

    Its latest PUBLISHED successor (``based_on`` it) in force on ``on``, and that one's,
    and so on; ``rule_set`` itself when none is in force yet. A new version therefore
    reaches scoring on its effective date, read from the database at each decision: no
    restart, no cache to clear. One indexed query when nothing succeeds it.
    """
    current = rule_set
    for _ in range(MAX_SUCCESSION):
        successor = (
            RuleSet.objects.filter(
                based_on=current, status=RuleSet.Status.PUBLISHED, effective_from__lte=on
            )
            .order_by("-effective_from", "-id")
            .first()
        )
        if successor is None:
            break
        current = successor
    return current


def rule_set_of_client(*, client: ApiClient, on: date) -> RuleSet:
    """``rule_set_in_force`` of the client's rule set, without a query when the client row
    says no published version succeeds it (``rule_set_succeeded``, annotated by the API-key
    look-up in the same query as the key)."""
    if not getattr(client, "rule_set_succeeded", True):
        return client.rule_set
    return rule_set_in_force(rule_set=client.rule_set, on=on)


def rule_set_by_version(*, name: str, version: str) -> RuleSet:
    """The version ``version`` of rule set ``name``: its full version string
    ("fintech-2026.3") or what follows the name ("2026.3"); raises ``RuleSet.DoesNotExist``."""
    found = RuleSet.objects.filter(name=name, version__in=[version, f"{name}-{version}"]).first()
    if found is None:
        raise RuleSet.DoesNotExist(f"Rule set {name!r} has no version {version!r}.")
    return found


def rule_set_policy(*, rule_set: RuleSet) -> PolicyRuleSet:
    """The parsed rule set; parsed once per stored version (versions are never edited)."""
    return _parsed_rule_set(
        rule_set.pk, rule_set.version, json.dumps(rule_set.definition, sort_keys=True)
    )


@lru_cache(maxsize=64)
def _parsed_rule_set(pk: int, version: str, definition: str) -> PolicyRuleSet:
    return PolicyRuleSet.from_dict(json.loads(definition))


def model_version_manifest(*, version: ModelVersion) -> ModelManifest:
    """The manifest of a READY version, read after its artifact's SHA-256 is verified.

    No booster is deserialised and the model cache is untouched, so listing model cards
    never evicts the champion. Parsed once per (artifact, SHA-256): artifacts are immutable.
    Raises ``ModelVersionNotReady`` and the core's ``ArtifactError`` (integrity, format).
    """
    if version.status != ModelVersion.Status.READY:
        raise ModelVersionNotReady(f"Model version {version.label} is {version.status}.")
    try:
        return _verified_manifest(version.artifact_path, version.artifact_sha256)
    except ArtifactError as exc:
        raise type(exc)(f"Model version {version.label} refused: {exc}") from exc


@lru_cache(maxsize=64)
def _verified_manifest(path: str, sha256: str) -> ModelManifest:
    return read_manifest(read_verified_files(Path(path), expected_sha256=sha256))
