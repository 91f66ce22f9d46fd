"""Writes to the model registry: train, promote, evaluate and load model versions.

Training runs outside any transaction on purpose: the ``PENDING`` row is committed before
the (long) fit starts so that people can see it, and it ends ``READY`` or ``FAILED``.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import secrets
import shutil
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from credit_ml.artifacts import (
    ArtifactError,
    ArtifactExistsError,
    load_artifact,
    save_artifact,
)
from credit_ml.datasets import DatasetError, file_sha256, read_dataset
from credit_ml.evaluation import binary_metrics
from credit_ml.features import FeatureInputError
from credit_ml.schema import INDONESIAN_SCHEMA
from credit_ml.scoring import ScoringModel
from credit_ml.spec import DatasetSpec, DatasetSpecError, load_spec, read_training_frame
from credit_ml.training import (
    Progress,
    TrainConfig,
    TrainingDataError,
    holdout_rows,
    train_model,
)
from training.models import ModelAlias, ModelAliasChange, ModelVersion
from training.selectors import model_version_get, model_version_schema, model_version_spec

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

#: Errors whose message is written for people and may be stored as the version's ``error``.
READABLE_ERRORS: tuple[type[Exception], ...] = (
    TrainingDataError,
    DatasetError,
    DatasetSpecError,
    FeatureInputError,
)
ERROR_MAX_CHARS = 2000


class TrainingRefused(ValueError):
    """Training was refused before anything was written (unknown algorithm, missing file)."""


class TrainingFailed(Exception):
    """Training failed; ``version`` is the registry row, now ``FAILED`` with a readable error.

    ``version`` is optional only so that Celery can rebuild the exception from its message.
    """

    def __init__(self, message: str, version: ModelVersion | None = None) -> None:
        super().__init__(message)
        self.version = version


class PromotionRefused(ValueError):
    """Promotion was refused and nothing was written."""


class ModelVersionNotReady(ValueError):
    """The version has no usable artifact (it is PENDING or FAILED)."""


@dataclass(frozen=True)
class TrainedArtifact:
    artifact_path: Path
    artifact_sha256: str
    metrics: dict[str, Any]
    data_rows: int


# --------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------


def train_config_build(*, algorithm: str, params: Mapping[str, Any]) -> TrainConfig:
    """A ``TrainConfig`` from command-line or task parameters; unknown names are refused."""
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    unknown = sorted(set(params) - known)
    if unknown:
        raise TrainingRefused(f"Unknown training parameter(s): {', '.join(unknown)}.")
    try:
        return TrainConfig(**{**params, "algorithm": algorithm})
    except (TypeError, ValueError) as exc:
        raise TrainingRefused(f"Invalid training parameters: {exc}") from exc


def model_version_train(
    *,
    data_path: Path,
    algorithm: str = ModelVersion.Algorithm.XGBOOST,
    config: TrainConfig | None = None,
    created_by: User | None = None,
    spec_path: Path | None = None,
) -> ModelVersion:
    """Train a new version on ``data_path`` and register it.

    Commits a ``PENDING`` row first, then ends ``READY`` (artifact saved under
    ``KREDITAX_ARTIFACT_DIR / label``, SHA-256 and metrics recorded) or ``FAILED`` (readable
    ``error``, no artifact directory left, champion unchanged) and raises ``TrainingFailed``.
    The first ``READY`` version becomes champion when there is none. ``algorithm`` wins over
    ``config.algorithm``; ``n_threads`` always comes from ``KREDITAX_TRAINING_THREADS``.
    ``spec_path``: a lender's dataset spec (``credit_ml.spec``); without it the file must
    follow the built-in Indonesian schema.
    """
    _refuse_unusable(data_path=data_path, algorithm=algorithm)
    spec = dataset_spec_load(spec_path=spec_path)
    config = train_config_for_run(config=config or TrainConfig(), algorithm=algorithm)
    version = model_version_create_pending(
        algorithm=algorithm,
        config=config,
        data_fingerprint=file_sha256(data_path),
        created_by=created_by,
        spec=spec,
        data_path=data_path,
    )
    logger.info("training %s on %s (%s)", version.label, data_path, version.data_fingerprint)
    try:
        trained = model_version_fit(
            version=version,
            data_path=data_path,
            config=config,
            spec=spec,
            progress=_progress_logger(version.label),
        )
        model_version_mark_ready(version=version, trained=trained)
    except Exception as exc:
        model_version_mark_failed(version=version, exc=exc)
        raise TrainingFailed(f"Training {version.label} failed: {version.error}", version) from exc
    champion_claim_if_vacant(version=version, claimed_by=created_by)
    return version


def dataset_spec_load(*, spec_path: Path | None) -> DatasetSpec | None:
    """The parsed spec, or None; raises ``TrainingRefused`` naming the problem."""
    if spec_path is None:
        return None
    try:
        return load_spec(spec_path)
    except DatasetSpecError as exc:
        raise TrainingRefused(str(exc)) from exc


def model_version_create_pending(
    *,
    algorithm: str,
    config: TrainConfig,
    data_fingerprint: str,
    created_by: User | None,
    spec: DatasetSpec | None,
    data_path: Path | None = None,
) -> ModelVersion:
    """Commit the ``PENDING`` registry row of a version about to be trained."""
    return ModelVersion.objects.create(
        label=_new_label(algorithm=algorithm),
        algorithm=algorithm,
        params=json_safe(config.to_dict()),
        data_fingerprint=data_fingerprint,
        data_path=str(data_path) if data_path is not None else "",
        created_by=created_by,
        dataset_spec=spec.to_dict() if spec is not None else None,
    )


def _refuse_unusable(*, data_path: Path, algorithm: str) -> None:
    if algorithm not in ModelVersion.Algorithm.values:
        choices = ", ".join(ModelVersion.Algorithm.values)
        raise TrainingRefused(f"Unknown algorithm {algorithm!r}; choose one of: {choices}.")
    if not data_path.is_file():
        raise TrainingRefused(f"Training data not found: {data_path}")


def train_config_for_run(*, config: TrainConfig, algorithm: str) -> TrainConfig:
    """The config with this algorithm and the operator's thread budget (read at call time)."""
    try:
        return dataclasses.replace(
            config, algorithm=algorithm, n_threads=settings.KREDITAX_TRAINING_THREADS
        )
    except ValueError as exc:  # e.g. an algorithm the ML core cannot train yet
        raise TrainingRefused(str(exc)) from exc


def _new_label(*, algorithm: str) -> str:
    """``xgboost-20261124-051203-a3f9``: algorithm, UTC time, 16 random bits."""
    return f"{algorithm}-{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def training_frame_read(*, data_path: Path, spec: DatasetSpec | None) -> pd.DataFrame:
    """The training frame: a lender's file checked against its spec, or the built-in one."""
    if spec is not None:
        return read_training_frame(data_path, spec)
    return read_dataset(data_path)


def model_version_fit(
    *,
    version: ModelVersion,
    data_path: Path,
    config: TrainConfig,
    spec: DatasetSpec | None,
    progress: Progress,
) -> TrainedArtifact:
    """Train on the file and save the artifact under ``KREDITAX_ARTIFACT_DIR / label``.

    ``progress(stage, fraction)`` may raise to stop the run (cancellation); the caller
    then marks the version failed, which removes any partial artifact.
    """
    frame = training_frame_read(data_path=data_path, spec=spec)
    schema = spec.schema() if spec is not None else INDONESIAN_SCHEMA
    result = train_model(frame, schema=schema, config=config, progress=progress)
    progress("saving the artifact", 0.97)
    root = Path(settings.KREDITAX_ARTIFACT_DIR)
    root.mkdir(parents=True, exist_ok=True)
    saved = save_artifact(
        result,
        root=root,
        label=version.label,
        data_sha256=version.data_fingerprint,
        dataset_spec=spec.to_dict() if spec is not None else None,
    )
    return TrainedArtifact(
        artifact_path=Path(saved.path),
        artifact_sha256=saved.sha256,
        metrics=json_safe({**result.metrics, "fairness": result.fairness}),
        data_rows=len(frame),
    )


def _progress_logger(label: str) -> Callable[[str, float], None]:
    def progress(stage: str, fraction: float) -> None:
        logger.info("training %s: %s (%.0f %%)", label, stage, 100 * fraction)

    return progress


def model_version_mark_ready(*, version: ModelVersion, trained: TrainedArtifact) -> None:
    version.status = ModelVersion.Status.READY
    version.artifact_path = str(trained.artifact_path)
    version.artifact_sha256 = trained.artifact_sha256
    version.metrics = trained.metrics
    version.data_rows = trained.data_rows
    version.ready_at = timezone.now()
    version.save(
        update_fields=[
            "status",
            "artifact_path",
            "artifact_sha256",
            "metrics",
            "data_rows",
            "ready_at",
        ]
    )
    logger.info("training %s: READY, metrics %s", version.label, trained.metrics)


def model_version_mark_failed(
    *, version: ModelVersion, exc: BaseException, message: str | None = None
) -> None:
    """Mark ``version`` FAILED with a readable error and remove its partial artifact.

    ``message`` overrides the error text derived from ``exc``.
    """
    if message is None:
        message = readable_error(exc=exc, label=version.label)
    if not isinstance(exc, ArtifactExistsError):  # never remove a directory we did not write
        artifact_dir_remove(Path(settings.KREDITAX_ARTIFACT_DIR) / version.label)
    # Reset everything model_version_mark_ready may have set before it failed.
    version.status = ModelVersion.Status.FAILED
    version.error = message
    version.artifact_path = ""
    version.artifact_sha256 = ""
    version.metrics = {}
    version.ready_at = None
    version.save(
        update_fields=["status", "error", "artifact_path", "artifact_sha256", "metrics", "ready_at"]
    )


def readable_error(*, exc: BaseException, label: str) -> str:
    """The message people see; unexpected errors are logged with their traceback."""
    if isinstance(exc, READABLE_ERRORS):
        message = str(exc)[:ERROR_MAX_CHARS]
        logger.warning("training %s failed: %s", label, message)
        return message
    logger.error("training %s failed", label, exc_info=exc)
    return (
        f"Training failed with an unexpected {type(exc).__name__}; the server log has the details."
    )


def artifact_dir_remove(path: Path) -> None:
    """Remove a (possibly read-only) artifact directory; a missing one is fine."""

    def make_writable_and_retry(func: Callable[[str], object], name: str, _exc: object) -> None:
        os.chmod(os.path.dirname(name), stat.S_IRWXU)
        if os.path.exists(name) and not os.path.islink(name):
            os.chmod(name, stat.S_IRWXU)
        func(name)

    if path.exists():
        shutil.rmtree(path, onerror=make_writable_and_retry)


def json_safe(value: Any) -> Any:
    """Plain JSON values: numpy scalars to Python, tuples to lists, NaN and infinity to None."""
    if isinstance(value, Mapping):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return str(value)


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


def model_version_evaluate(*, label: str, data_path: Path) -> dict[str, float]:
    """AUC, Gini, KS, Brier, log loss, default rate and ``n`` of ``label`` on a labelled file.

    Raises ``ModelVersion.DoesNotExist``, ``ModelVersionNotReady``, the core's
    ``ArtifactError`` (the artifact is verified first) and ``ValueError``/``DatasetError``
    for a file without outcomes or with a single class.
    """
    version = model_version_get(label=label)
    model = model_version_load(version=version)
    frame, target = labelled_frame_read(version=version, data_path=data_path)
    return binary_metrics(frame[target].to_numpy(), model.score_frame(frame))


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
