"""Writes to the registry: promote, make challenger, roll back and load model versions;
create and revoke API clients.

Every alias change is made under the alias row's lock and appended to the history (who,
when, from, to, why). Loading verifies the artifact's SHA-256 against the registry before
anything is deserialised.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, cast

import pandas as pd
from django.conf import settings
from django.db import transaction

from credit_ml.artifacts import ArtifactError, load_artifact
from credit_ml.datasets import DatasetError, file_sha256, read_dataset
from credit_ml.evaluation import binary_metrics
from credit_ml.schema import INDONESIAN_SCHEMA
from credit_ml.scoring import ScoringModel
from credit_ml.spec import DatasetSpecError, read_training_frame
from credit_ml.training import TrainConfig, TrainingDataError, holdout_rows
from registry.errors import ModelVersionNotReady, PromotionRefused
from registry.models import ApiClient, ModelAlias, ModelAliasChange, ModelVersion
from registry.selectors import model_version_schema, model_version_spec, rule_set_latest

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------
# Promotion
# --------------------------------------------------------------------------------------


def model_version_promote(
    *,
    label: str,
    promoted_by: User | None = None,
    reason: str = "",
    override_reason: str = "",
    data_path: Path | None = None,
) -> ModelVersion:
    """Point the ``champion`` alias at the READY version ``label`` and record the change.

    The promotion rule: the candidate's holdout AUC must be at least the champion's on the
    same rows (``holdout_comparison``: the candidate's own holdout, or ``data_path``).
    A non-blank ``override_reason`` skips the comparison and is recorded as
    ``"override: <override_reason>"`` (then ``reason``, if any). The first champion needs
    no comparison. The comparison runs under the alias row's lock (seconds: two models
    score the holdout), so the champion compared against is the one that gets replaced.

    Raises ``PromotionRefused`` (nothing written) for an unknown label, a version that is
    not READY, or a candidate that loses (or cannot be compared). Promoting the current
    champion again is a no-op: it raises nothing and records nothing. Concurrent promotions
    serialise on the alias row's lock; each records the version it actually replaced, so
    the history is a consistent chain.
    """
    with transaction.atomic():
        version = _promotable(label=label)
        alias = _alias_lock(name=ModelAlias.Name.CHAMPION)
        if alias.version_id == version.pk:
            return version
        if override_reason.strip():
            reason = "; ".join(filter(None, [f"override: {override_reason.strip()}", reason]))
        elif alias.version is not None:
            _refuse_if_worse(candidate=version, champion=alias.version, data_path=data_path)
        _alias_switch(alias=alias, version=version, changed_by=promoted_by, reason=reason)
    return version


@dataclass(frozen=True)
class HoldoutComparison:
    """AUCs of a candidate and the champion on the same labelled rows (``n`` of them)."""

    candidate_auc: float
    champion_auc: float
    n: int
    source: str


def _refuse_if_worse(
    *, candidate: ModelVersion, champion: ModelVersion, data_path: Path | None
) -> None:
    comparison = holdout_comparison(candidate=candidate, champion=champion, data_path=data_path)
    if comparison.candidate_auc < comparison.champion_auc:
        raise PromotionRefused(
            f"Model version {candidate.label} has AUC {comparison.candidate_auc:.4f}, below "
            f"the champion {champion.label}'s AUC {comparison.champion_auc:.4f} on the same "
            f"{comparison.n} rows ({comparison.source}); give an override reason to promote "
            "it anyway."
        )


def holdout_comparison(
    *, candidate: ModelVersion, champion: ModelVersion, data_path: Path | None = None
) -> HoldoutComparison:
    """Both versions scored on the candidate's holdout rows, or on all rows of ``data_path``.

    The holdout is recomputed from the candidate's recorded training file (which must still
    have its recorded SHA-256) and stored params. Raises ``PromotionRefused`` when the rows
    cannot be had or either version cannot score them.
    """
    frame, target, source = _comparison_rows(version=candidate, data_path=data_path)
    try:
        candidate_pd = model_version_load(version=candidate).score_frame(frame)
        champion_pd = model_version_load(version=champion).score_frame(frame)
        y = frame[target].to_numpy()
        return HoldoutComparison(
            candidate_auc=binary_metrics(y, candidate_pd)["auc"],
            champion_auc=binary_metrics(y, champion_pd)["auc"],
            n=len(frame),
            source=source,
        )
    except (ArtifactError, ModelVersionNotReady, ValueError, KeyError) as exc:
        raise PromotionRefused(
            f"Cannot compare {candidate.label} with the champion {champion.label} on "
            f"{source}: {exc} Give a file both can score, or an override reason."
        ) from exc


def _comparison_rows(
    *, version: ModelVersion, data_path: Path | None
) -> tuple[pd.DataFrame, str, str]:
    """The labelled rows to compare on, the target's name, and where they came from."""
    path = data_path or _recorded_training_file(version=version)
    try:
        if data_path is not None:
            frame, target = labelled_frame_read(version=version, data_path=data_path)
            return frame, target, data_path.name
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
    try:
        version = ModelVersion.objects.get(label=label)
    except ModelVersion.DoesNotExist:
        raise PromotionRefused(f"No model version is labelled {label!r}.") from None
    if version.status != ModelVersion.Status.READY:
        raise PromotionRefused(
            f"Model version {label} is {version.status}; only READY versions can be promoted."
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
    *, alias: ModelAlias, version: ModelVersion, changed_by: User | None, reason: str
) -> None:
    """Move a locked alias to ``version`` and append the change to the history."""
    replaced = alias.version_id
    ModelAliasChange.objects.create(
        alias=alias.name,
        from_version_id=replaced,
        to_version=version,
        changed_by=changed_by,
        reason=reason,
    )
    alias.version = version
    alias.save(update_fields=["version", "updated_at"])
    logger.info("alias %s: version %s -> %s (%s)", alias.name, replaced, version.label, reason)


def champion_claim_if_vacant(*, version: ModelVersion, claimed_by: User | None) -> None:
    """Make ``version`` champion if there is none; decided under the alias lock (no race)."""
    with transaction.atomic():
        alias = _alias_lock(name=ModelAlias.Name.CHAMPION)
        if alias.version_id is None:
            _alias_switch(
                alias=alias, version=version, changed_by=claimed_by, reason="first ready version"
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


def model_version_make_challenger(*, label: str, by: User | None, reason: str) -> ModelVersion:
    """Point the ``challenger`` alias at the READY version ``label`` (recorded with why).

    The challenger scores in the shadow of the champion (``training.shadow``). Raises
    ``PromotionRefused`` (nothing written) for an unknown or not-READY version or the
    current champion. Making the current challenger challenger again records nothing.
    """
    with transaction.atomic():
        version = _promotable(label=label)
        champion = ModelAlias.objects.filter(name=ModelAlias.Name.CHAMPION).first()
        if champion is not None and champion.version_id == version.pk:
            raise PromotionRefused(f"Model version {label} is the champion already.")
        alias = _alias_lock(name=ModelAlias.Name.CHALLENGER)
        if alias.version_id != version.pk:
            _alias_switch(alias=alias, version=version, changed_by=by, reason=reason)
    return version


def model_version_rollback(*, label: str, by: User | None, reason: str) -> ModelVersion:
    """Make an earlier READY version champion again, in one recorded action.

    A reason is required. Raises ``PromotionRefused`` (nothing written) without one, for
    an unknown or not-READY version, or for the current champion.
    """
    if not reason.strip():
        raise PromotionRefused("A rollback needs a reason.")
    with transaction.atomic():
        version = _promotable(label=label)
        alias = _alias_lock(name=ModelAlias.Name.CHAMPION)
        if alias.version_id == version.pk:
            raise PromotionRefused(f"Model version {label} is the champion already.")
        _alias_switch(alias=alias, version=version, changed_by=by, reason=f"rollback: {reason}")
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
    client = ApiClient.objects.get(prefix=prefix)
    client.revoked = True
    client.save(update_fields=["revoked"])
    return client
