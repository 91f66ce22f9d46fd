"""Writes to the registry: promote, make challenger, roll back and load model versions;
create and revoke API clients.

Every alias change is made under the alias row's lock and appended to the history (who,
when, from, to, why). Loading verifies the artifact's SHA-256 against the registry before
anything is deserialised.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from credit_ml.artifacts import ArtifactError, directory_sha256, load_artifact
from credit_ml.datasets import DatasetError, file_sha256, read_dataset, row_keys
from credit_ml.evaluation import binary_metrics
from credit_ml.schema import INDONESIAN_SCHEMA
from credit_ml.scoring import ScoringModel
from credit_ml.spec import DatasetSpecError, read_training_frame
from credit_ml.training import TrainConfig, TrainingDataError, holdout_rows
from registry.errors import ModelVersionNotReady, PromotionRefused
from registry.models import ApiClient, ArtifactAlert, ModelAlias, ModelAliasChange, ModelVersion
from registry.selectors import (
    model_version_schema,
    model_version_schema_changes,
    model_version_spec,
    model_version_was_champion,
    rule_set_latest,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------
# Promotion
# --------------------------------------------------------------------------------------

#: How the promotion comparison chooses its rows (the promote command prints it).
COMPARISON_RULE = (
    "Both versions are scored on the same labelled rows, neither having been trained on "
    "them: the candidate's holdout (recomputed from its training file, seed and split), or "
    "every row of --data; rows found among either version's training rows (its training "
    "file without its holdout) are left out while defaults and goods remain, else all rows "
    "are kept with a warning."
)


@dataclass(frozen=True)
class HoldoutComparison:
    """AUCs of a candidate and the champion on the same labelled rows (``n`` of them).

    ``source`` says which rows; ``warnings`` say why the comparison may flatter a version
    (it was trained on some of the rows, or that could not be checked).
    """

    candidate_auc: float
    champion_auc: float
    n: int
    source: str
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Promotion:
    """What ``model_version_promote`` did: the version now champion, the comparison it
    passed (None for the first champion, an override or a no-op), and whether the alias
    moved."""

    version: ModelVersion
    comparison: HoldoutComparison | None = None
    changed: bool = True


def model_version_promote(
    *,
    label: str,
    promoted_by: User | None = None,
    by_name: str = "",
    reason: str = "",
    override_reason: str = "",
    schema_change_reason: str = "",
    data_path: Path | None = None,
) -> Promotion:
    """Point the ``champion`` alias at the READY version ``label`` and record the change.

    Two rules, checked under the alias row's lock against the champion being replaced:

    - The candidate must accept every application the champion accepts (same fields,
      types, listed values, ranges: ``schema_changes``), or a non-blank
      ``schema_change_reason`` says that the loan systems have changed their payloads; it
      is recorded as ``"schema change: <reason>"``.
    - Its AUC must be at least the champion's on the same rows (``holdout_comparison``).
      A non-blank ``override_reason`` skips the comparison and is recorded as
      ``"override: <reason>"``.

    The first champion needs neither. ``by_name`` records who when ``promoted_by`` is None
    (a command run without --user). A challenger that becomes champion stops being
    challenger (recorded). Raises ``PromotionRefused`` (nothing written) for an unknown
    label, a version that is not READY, a schema change without a reason, or a candidate
    that loses (or cannot be compared). Promoting the current champion again is a no-op.
    Concurrent promotions serialise on the alias row's lock; each records the version it
    actually replaced, so the history is a consistent chain.
    """
    with transaction.atomic():
        version = _promotable(label=label)
        alias = _alias_lock(name=ModelAlias.Name.CHAMPION)
        if alias.version_id == version.pk:
            return Promotion(version=version, changed=False)
        schema_note = _schema_change_note(
            serving=alias.version, candidate=version, reason=schema_change_reason
        )
        override_note = f"override: {override_reason.strip()}" if override_reason.strip() else ""
        comparison = None
        if not override_note and alias.version is not None:
            comparison = _refuse_if_worse(
                candidate=version, champion=alias.version, data_path=data_path
            )
        _champion_switch(
            alias=alias,
            version=version,
            by=promoted_by,
            by_name=by_name,
            reason=_joined(override_note, schema_note, reason),
        )
    return Promotion(version=version, comparison=comparison)


def _joined(*parts: str) -> str:
    return "; ".join(part.strip() for part in parts if part.strip())


def _schema_change_note(
    *, serving: ModelVersion | None, candidate: ModelVersion, reason: str
) -> str:
    """``"schema change: <reason>"`` when the candidate refuses what ``serving`` accepts and
    a reason is given, "" when nothing changes; else raises ``PromotionRefused``."""
    if serving is None:
        return ""
    changes = model_version_schema_changes(serving=serving, candidate=candidate)
    if not changes:
        return ""
    if reason.strip():
        return f"schema change: {reason.strip()}"
    shown = "; ".join(changes[:SCHEMA_CHANGES_SHOWN])
    more = len(changes) - SCHEMA_CHANGES_SHOWN
    raise PromotionRefused(
        f"Model version {candidate.label} refuses applications the champion "
        f"{serving.label} accepts ({shown}{f'; and {more} more' if more > 0 else ''}): "
        "loan systems would get 400 errors. If they have changed their payloads, give a "
        "schema change reason."
    )


#: How many schema changes a refusal names before "and N more".
SCHEMA_CHANGES_SHOWN = 5


def _refuse_if_worse(
    *, candidate: ModelVersion, champion: ModelVersion, data_path: Path | None
) -> HoldoutComparison:
    comparison = holdout_comparison(candidate=candidate, champion=champion, data_path=data_path)
    if comparison.candidate_auc < comparison.champion_auc:
        raise PromotionRefused(
            f"Model version {candidate.label} has AUC {comparison.candidate_auc:.4f}, below "
            f"the champion {champion.label}'s AUC {comparison.champion_auc:.4f} on the same "
            f"{comparison.n} rows ({comparison.source}); give an override reason to promote "
            "it anyway."
        )
    return comparison


def holdout_comparison(
    *, candidate: ModelVersion, champion: ModelVersion, data_path: Path | None = None
) -> HoldoutComparison:
    """Both versions scored on the same labelled rows that neither was trained on.

    The rows (``COMPARISON_RULE``): every row of ``data_path`` if given, else the
    candidate's holdout, recomputed from its recorded training file (which must still have
    its recorded SHA-256) and stored params. Rows whose values equal a row either version
    was trained on (its training file without its holdout, read again when that file is
    still there unchanged) are left out, as long as the rows left hold both defaults and
    goods. So a candidate trained on the champion's file with another seed, or on a file
    that contains the champion's, is compared on rows both held out; when no such rows
    remain, all rows are used and a warning says which version saw how many of them. A
    version whose training file is unavailable gives a warning that this could not be
    checked. Raises ``PromotionRefused`` when the rows cannot be had or either version
    cannot score them.
    """
    frame, target, source = _comparison_rows(version=candidate, data_path=data_path)
    frame, source, warnings = _unseen_rows(
        frame, target=target, source=source, versions=(candidate, champion)
    )
    try:
        candidate_pd = model_version_load(version=candidate).score_frame(frame)
        champion_pd = model_version_load(version=champion).score_frame(frame)
        y = frame[target].to_numpy()
        return HoldoutComparison(
            candidate_auc=binary_metrics(y, candidate_pd)["auc"],
            champion_auc=binary_metrics(y, champion_pd)["auc"],
            n=len(frame),
            source=source,
            warnings=warnings,
        )
    except (ArtifactError, ModelVersionNotReady, ValueError, KeyError) as exc:
        raise PromotionRefused(
            f"Cannot compare {candidate.label} with the champion {champion.label} on "
            f"{source}: {exc} Give a file both can score, or an override reason."
        ) from exc


def _unseen_rows(
    frame: pd.DataFrame, *, target: str, source: str, versions: tuple[ModelVersion, ...]
) -> tuple[pd.DataFrame, str, tuple[str, ...]]:
    """``frame`` without the rows a version was trained on (see ``holdout_comparison``)."""
    seen = np.zeros(len(frame), dtype=bool)
    counts: list[tuple[ModelVersion, int]] = []
    warnings: list[str] = []
    for version in versions:
        trained = _trained_rows(version=version)
        if trained is None:
            warnings.append(
                f"Cannot check whether {version.label} was trained on some of these rows: "
                "its training file is not available unchanged."
            )
            continue
        columns = [name for name in frame.columns if name in trained.columns]
        hit = np.isin(row_keys(frame, columns), row_keys(trained, columns))
        if hit.any():
            counts.append((version, int(hit.sum())))
        seen |= hit
    if not seen.any():
        return frame, source, tuple(warnings)
    unseen = frame[~seen]
    if unseen[target].nunique() == 2:
        note = f"{source}, without {int(seen.sum())} row(s) a version was trained on"
        return unseen, f"{note} ({len(unseen)} of {len(frame)} left)", tuple(warnings)
    for version, count in counts:
        warnings.append(
            f"{version.label} was trained on {count} of these {len(frame)} rows and no rows "
            "with both defaults and goods remain without them: its AUC is flattered."
        )
    return frame, source, tuple(warnings)


def _trained_rows(*, version: ModelVersion) -> pd.DataFrame | None:
    """The rows ``version`` was trained on (its file without its holdout), or None when its
    training file is gone, changed or unreadable."""
    path = Path(version.data_path)
    if not version.data_path or not path.is_file():
        return None
    try:
        if file_sha256(path) != version.data_fingerprint:
            return None
        frame, _ = labelled_frame_read(version=version, data_path=path)
        config = TrainConfig.from_dict(version.params)
        held_out = holdout_rows(frame, schema=model_version_schema(version=version), config=config)
    except (DatasetError, DatasetSpecError, TrainingDataError, ValueError, OSError):
        logger.warning("the training rows of %s cannot be read", version.label, exc_info=True)
        return None
    return frame.drop(index=frame.index[held_out])


def _comparison_rows(
    *, version: ModelVersion, data_path: Path | None
) -> tuple[pd.DataFrame, str, str]:
    """The labelled rows to compare on, the target's name, and where they came from."""
    path = data_path or _recorded_training_file(version=version)
    try:
        if data_path is not None:
            frame, target = labelled_frame_read(version=version, data_path=data_path)
            return frame, target, f"all rows of {data_path.name}"
        frame, target = labelled_frame_read(version=version, data_path=path)
        config = TrainConfig.from_dict(version.params)
        rows = holdout_rows(frame, schema=model_version_schema(version=version), config=config)
    except (DatasetError, DatasetSpecError, TrainingDataError, ValueError, OSError) as exc:
        raise PromotionRefused(f"Cannot read the comparison data: {exc}") from exc
    return frame.take(rows), target, f"the holdout of {path.name}"


def _recorded_training_file(*, version: ModelVersion) -> Path:
    path = Path(version.data_path)
    if not version.data_path or not path.is_file():
        raise PromotionRefused(
            f"The training data of {version.label} is not available "
            f"({version.data_path or 'not recorded'}); give a labelled file to compare on, "
            "or an override reason."
        )
    if file_sha256(path) != version.data_fingerprint:
        raise PromotionRefused(
            f"The training data of {version.label} changed since training ({path}); give a "
            "labelled file to compare on, or an override reason."
        )
    return path


def _promotable(*, label: str) -> ModelVersion:
    """The READY version ``label`` whose artifact on disk is still the one recorded.

    The artifact is hashed here, before any alias moves: an alias pointing at a damaged
    version would leave every restarted worker without a model.
    """
    try:
        version = ModelVersion.objects.get(label=label)
    except ModelVersion.DoesNotExist:
        raise PromotionRefused(f"No model version is labelled {label!r}.") from None
    if version.status == ModelVersion.Status.DAMAGED:
        raise PromotionRefused(
            f"Model version {label} is DAMAGED: its artifact no longer matches the SHA-256 "
            "recorded when it was trained. Restore the artifact; nothing was changed."
        )
    if version.status != ModelVersion.Status.READY:
        raise PromotionRefused(
            f"Model version {label} is {version.status}; only READY versions can be promoted."
        )
    problem = artifact_problem(version=version)
    if problem is not None:
        raise PromotionRefused(
            f"Model version {label}'s artifact no longer matches the registry ({problem}); "
            "nothing was changed."
        )
    return version


def _alias_lock(*, name: str) -> ModelAlias:
    """Lock the alias row until the transaction ends.

    Migration 0002 creates the rows; ``get_or_create`` only matters after a test database
    flush. Must run inside ``transaction.atomic()``.
    """
    alias, _ = ModelAlias.objects.select_for_update().get_or_create(name=name)
    return alias


def _alias_switch(
    *,
    alias: ModelAlias,
    version: ModelVersion | None,
    by: User | None,
    by_name: str,
    reason: str,
) -> None:
    """Move a locked alias to ``version`` (None clears it) and append the change to the
    history; who is ``by``'s username, else ``by_name``."""
    replaced = alias.version_id
    ModelAliasChange.objects.create(
        alias=alias.name,
        from_version_id=replaced,
        to_version=version,
        changed_by=by,
        changed_by_name=by.get_username() if by is not None else by_name[:150],
        reason=reason,
    )
    alias.version = version
    alias.save(update_fields=["version", "updated_at"])
    label = version.label if version is not None else "-"
    logger.info("alias %s: version %s -> %s (%s)", alias.name, replaced, label, reason)


def _champion_switch(
    *, alias: ModelAlias, version: ModelVersion, by: User | None, by_name: str, reason: str
) -> None:
    """Make ``version`` champion (``alias`` is the locked champion row); if it was the
    challenger, the challenger alias is cleared, recorded as well."""
    _alias_switch(alias=alias, version=version, by=by, by_name=by_name, reason=reason)
    challenger = _alias_lock(name=ModelAlias.Name.CHALLENGER)
    if challenger.version_id == version.pk:
        _alias_switch(
            alias=challenger, version=None, by=by, by_name=by_name, reason="became champion"
        )


def champion_claim_if_vacant(*, version: ModelVersion, claimed_by: User | None) -> None:
    """Make ``version`` champion if there is none; decided under the alias lock (no race)."""
    with transaction.atomic():
        alias = _alias_lock(name=ModelAlias.Name.CHAMPION)
        if alias.version_id is None:
            _champion_switch(
                alias=alias,
                version=version,
                by=claimed_by,
                by_name="",
                reason="first ready version",
            )


# --------------------------------------------------------------------------------------
# Loading and evaluation
# --------------------------------------------------------------------------------------


def model_version_load(*, version: ModelVersion) -> ScoringModel:
    """Load the version's artifact after checking its SHA-256 against the registry.

    Raises ``ModelVersionNotReady`` for a version without an artifact, and the core's
    ``ArtifactError`` subclasses (``ArtifactIntegrityError`` when the files on disk were
    changed, ``ArtifactNotFoundError``, ``ArtifactFormatError``) with the label named.
    """
    if version.status == ModelVersion.Status.DAMAGED:
        raise ModelVersionNotReady(
            f"Model version {version.label} is DAMAGED: its artifact no longer matches its "
            "SHA-256; it is not loaded."
        )
    if version.status != ModelVersion.Status.READY:
        raise ModelVersionNotReady(
            f"Model version {version.label} is {version.status}; it has no artifact to load."
        )
    try:
        return load_artifact(
            Path(version.artifact_path),
            expected_sha256=version.artifact_sha256,
            n_threads=settings.KREDITAX_SCORING_THREADS,
        )
    except ArtifactError as exc:
        raise type(exc)(f"Model version {version.label} refused: {exc}") from exc


# --------------------------------------------------------------------------------------
# Artifact integrity
# --------------------------------------------------------------------------------------


def artifact_problem(*, version: ModelVersion) -> str | None:
    """Why the version's artifact directory is not the one the registry recorded (the
    expected and found SHA-256, or why it cannot be read), or None when it is."""
    path = Path(version.artifact_path)
    try:
        found = directory_sha256(path)
    except ArtifactError as exc:  # no directory, or a symbolic link inside
        return str(exc).rstrip(".")
    except OSError as exc:
        return f"cannot read {path}: {exc.strerror or exc}"
    if not hmac.compare_digest(found, version.artifact_sha256.lower()):
        return f"expected SHA-256 {version.artifact_sha256}, found {found}"
    return None


@dataclass(frozen=True)
class ArtifactCheck:
    """What ``model_artifacts_verify`` found: how many versions it hashed, and the labels
    it marked DAMAGED or found restored (READY again)."""

    checked: int
    damaged: tuple[str, ...]
    restored: tuple[str, ...]


def model_artifacts_verify() -> ArtifactCheck:
    """Hash the artifact of every READY and DAMAGED version against the registry.

    A READY version whose artifact changed or disappeared becomes DAMAGED, with an
    ``ArtifactAlert`` and an error in the log: no process loads it again and it cannot be
    promoted, made challenger or rolled back to. A process that verified it before keeps
    serving its in-memory copy (it was checked when it was read, and is not read again).
    A DAMAGED version whose artifact matches again (restored from a backup, byte for byte)
    becomes READY, with an alert saying so. Each change is made under the version row's
    lock; a version that changed status meanwhile is left alone.
    """
    damaged: list[str] = []
    restored: list[str] = []
    versions = ModelVersion.objects.filter(
        status__in=[ModelVersion.Status.READY, ModelVersion.Status.DAMAGED]
    ).order_by("pk")
    checked = 0
    for version in versions:
        checked += 1
        problem = artifact_problem(version=version)
        was_ready = version.status == ModelVersion.Status.READY
        if (problem is not None) != was_ready:
            continue  # READY and intact, or DAMAGED and still damaged
        if _artifact_mark(version_id=version.pk, problem=problem):
            (damaged if was_ready else restored).append(version.label)
    return ArtifactCheck(checked=checked, damaged=tuple(damaged), restored=tuple(restored))


def _artifact_mark(*, version_id: int, problem: str | None) -> bool:
    """READY → DAMAGED (``problem`` given) or DAMAGED → READY (None), with its alert."""
    Status = ModelVersion.Status
    before, after = (Status.READY, Status.DAMAGED) if problem else (Status.DAMAGED, Status.READY)
    with transaction.atomic():
        version = ModelVersion.objects.select_for_update().get(pk=version_id)
        if version.status != before:
            return False
        version.status = after
        version.save(update_fields=["status"])
        if problem is None:
            message = f"The artifact of {version.label} matches its SHA-256 again; it is READY."
            ArtifactAlert.objects.create(
                version=version, kind=ArtifactAlert.Kind.RESTORED, message=message
            )
        else:
            message = (
                f"The artifact of {version.label} at {version.artifact_path} is damaged "
                f"({problem}); the version is DAMAGED and will not be loaded again."
            )
            ArtifactAlert.objects.create(
                version=version, kind=ArtifactAlert.Kind.DAMAGED, message=message
            )
    if problem is None:
        logger.warning("%s", message)
    else:
        logger.error("%s Checked at %s.", message, timezone.now().isoformat())
    return True


def labelled_frame_read(*, version: ModelVersion, data_path: Path) -> tuple[pd.DataFrame, str]:
    """A labelled file read the way ``version`` was trained (its spec, or the built-in schema)
    and the name of its 0/1 target column."""
    spec = model_version_spec(version=version)
    if spec is not None:
        return read_training_frame(data_path, spec), spec.target
    frame = read_dataset(data_path)
    target = INDONESIAN_SCHEMA.target
    if target not in frame.columns:
        raise DatasetError(f"{data_path.name} has no {target!r} column to evaluate against.")
    return frame, target


# --------------------------------------------------------------------------------------
# Challenger and rollback
# --------------------------------------------------------------------------------------


def model_version_make_challenger(
    *, label: str, by: User | None, reason: str, by_name: str = ""
) -> ModelVersion:
    """Point the ``challenger`` alias at the READY version ``label`` (recorded with why).

    The challenger scores in the shadow of the champion (``credit_ml.shadow``). Raises
    ``PromotionRefused`` (nothing written) for an unknown or not-READY version or the
    current champion. Making the current challenger challenger again records nothing.
    ``by_name`` records who when ``by`` is None (a command run without --user).
    """
    with transaction.atomic():
        version = _promotable(label=label)
        champion = ModelAlias.objects.filter(name=ModelAlias.Name.CHAMPION).first()
        if champion is not None and champion.version_id == version.pk:
            raise PromotionRefused(f"Model version {label} is the champion already.")
        alias = _alias_lock(name=ModelAlias.Name.CHALLENGER)
        if alias.version_id != version.pk:
            _alias_switch(alias=alias, version=version, by=by, by_name=by_name, reason=reason)
    return version


def model_version_rollback(
    *,
    label: str,
    by: User | None,
    reason: str,
    by_name: str = "",
    override_reason: str = "",
    schema_change_reason: str = "",
) -> ModelVersion:
    """Make a former champion champion again, in one recorded action.

    A reason is required; it is recorded as ``"rollback: <reason>"``. The version must
    have been champion before (the ``to_version`` of a champion alias change), unless a
    non-blank ``override_reason`` says why another READY version should serve (recorded as
    ``"override: <reason>"``). Like a promotion it must accept the applications the
    champion accepts, unless ``schema_change_reason`` is given (``model_version_promote``).
    Raises ``PromotionRefused`` (nothing written) without a reason, for an unknown or
    not-READY version, the current champion, a version never champion without an override,
    or a schema change without a reason.
    """
    if not reason.strip():
        raise PromotionRefused("A rollback needs a reason.")
    with transaction.atomic():
        version = _promotable(label=label)
        alias = _alias_lock(name=ModelAlias.Name.CHAMPION)
        if alias.version_id == version.pk:
            raise PromotionRefused(f"Model version {label} is the champion already.")
        override_note = f"override: {override_reason.strip()}" if override_reason.strip() else ""
        if not override_note and not model_version_was_champion(version=version):
            raise PromotionRefused(
                f"Model version {label} was never champion; a rollback returns to a former "
                "champion. Give an override reason to make it champion anyway."
            )
        schema_note = _schema_change_note(
            serving=alias.version, candidate=version, reason=schema_change_reason
        )
        _champion_switch(
            alias=alias,
            version=version,
            by=by,
            by_name=by_name,
            reason=_joined(f"rollback: {reason.strip()}", override_note, schema_note),
        )
    return version


# --------------------------------------------------------------------------------------
# API clients
# --------------------------------------------------------------------------------------


def api_client_create(
    *, name: str, rule_set_name: str, expires_at: datetime | None = None
) -> tuple[ApiClient, str]:
    """A new API key for a loan system; the plain key is returned once and stored hashed."""
    if not name.strip() or len(name) > 50:
        raise ValueError("The name must be 1 to 50 characters.")
    rule_set = rule_set_latest(name=rule_set_name)
    client, key = ApiClient.objects.create_key(name=name, rule_set=rule_set, expiry_date=expires_at)
    return cast(ApiClient, client), key


def api_client_revoke(*, prefix: str) -> ApiClient:
    client: ApiClient = ApiClient.objects.get(prefix=prefix)
    client.revoked = True
    client.save(update_fields=["revoked"])
    return client
