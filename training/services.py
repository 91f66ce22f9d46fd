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
from credit_ml.training import TrainConfig, TrainingDataError, train_model
from training.models import ModelAlias, ModelAliasChange, ModelVersion
from training.selectors import model_version_get

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

#: Errors whose message is written for people and may be stored as the version's ``error``.
READABLE_ERRORS: tuple[type[Exception], ...] = (TrainingDataError, DatasetError, FeatureInputError)
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
class _Trained:
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
) -> ModelVersion:
    """Train a new version on ``data_path`` and register it.

    Commits a ``PENDING`` row first, then ends ``READY`` (artifact saved under
    ``KREDITAX_ARTIFACT_DIR / label``, SHA-256 and metrics recorded) or ``FAILED`` (readable
    ``error``, no artifact directory left, champion unchanged) and raises ``TrainingFailed``.
    The first ``READY`` version becomes champion when there is none. ``algorithm`` wins over
    ``config.algorithm``; ``n_threads`` always comes from ``KREDITAX_TRAINING_THREADS``.
    """
    _refuse_unusable(data_path=data_path, algorithm=algorithm)
    config = _config_for_run(config=config or TrainConfig(), algorithm=algorithm)
    version = ModelVersion.objects.create(
        label=_new_label(algorithm=algorithm),
        algorithm=algorithm,
        params=_json_safe(config.to_dict()),
        data_fingerprint=file_sha256(data_path),
        created_by=created_by,
    )
    logger.info("training %s on %s (%s)", version.label, data_path, version.data_fingerprint)
    try:
        trained = _train_and_save(version=version, data_path=data_path, config=config)
        _mark_ready(version=version, trained=trained)
    except Exception as exc:
        _mark_failed(version=version, exc=exc)
        raise TrainingFailed(f"Training {version.label} failed: {version.error}", version) from exc
    _champion_claim_if_vacant(version=version, claimed_by=created_by)
    return version


def _refuse_unusable(*, data_path: Path, algorithm: str) -> None:
    if algorithm not in ModelVersion.Algorithm.values:
        choices = ", ".join(ModelVersion.Algorithm.values)
        raise TrainingRefused(f"Unknown algorithm {algorithm!r}; choose one of: {choices}.")
    if not data_path.is_file():
        raise TrainingRefused(f"Training data not found: {data_path}")


def _config_for_run(*, config: TrainConfig, algorithm: str) -> TrainConfig:
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


def _train_and_save(*, version: ModelVersion, data_path: Path, config: TrainConfig) -> _Trained:
    frame = read_dataset(data_path)
    result = train_model(
        frame, schema=INDONESIAN_SCHEMA, config=config, progress=_progress_logger(version.label)
    )
    root = Path(settings.KREDITAX_ARTIFACT_DIR)
    root.mkdir(parents=True, exist_ok=True)
    saved = save_artifact(
        result, root=root, label=version.label, data_sha256=version.data_fingerprint
    )
    return _Trained(
        artifact_path=Path(saved.path),
        artifact_sha256=saved.sha256,
        metrics=_json_safe(dict(result.metrics)),
        data_rows=len(frame),
    )


def _progress_logger(label: str) -> Callable[[str, float], None]:
    def progress(stage: str, fraction: float) -> None:
        logger.info("training %s: %s (%.0f %%)", label, stage, 100 * fraction)

    return progress


def _mark_ready(*, version: ModelVersion, trained: _Trained) -> None:
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


def _mark_failed(*, version: ModelVersion, exc: Exception) -> None:
    if isinstance(exc, READABLE_ERRORS):
        message = str(exc)[:ERROR_MAX_CHARS]
        logger.warning("training %s failed: %s", version.label, message)
    else:
        message = (
            f"Training failed with an unexpected {type(exc).__name__}; "
            "the server log has the details."
        )
        logger.exception("training %s failed", version.label)
    if not isinstance(exc, ArtifactExistsError):  # never remove a directory we did not write
        _remove_tree(Path(settings.KREDITAX_ARTIFACT_DIR) / version.label)
    # Reset everything _mark_ready may have set before it failed.
    version.status = ModelVersion.Status.FAILED
    version.error = message
    version.artifact_path = ""
    version.artifact_sha256 = ""
    version.metrics = {}
    version.ready_at = None
    version.save(
        update_fields=["status", "error", "artifact_path", "artifact_sha256", "metrics", "ready_at"]
    )


def _remove_tree(path: Path) -> None:
    """Remove a (possibly read-only) artifact directory; a missing one is fine."""

    def make_writable_and_retry(func: Callable[[str], object], name: str, _exc: object) -> None:
        os.chmod(os.path.dirname(name), stat.S_IRWXU)
        if os.path.exists(name) and not os.path.islink(name):
            os.chmod(name, stat.S_IRWXU)
        func(name)

    if path.exists():
        shutil.rmtree(path, onerror=make_writable_and_retry)


def _json_safe(value: Any) -> Any:
    """Plain JSON values: numpy scalars to Python, tuples to lists, NaN and infinity to None."""
    if isinstance(value, Mapping):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
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
    *, label: str, promoted_by: User | None = None, reason: str = ""
) -> ModelVersion:
    """Point the ``champion`` alias at the READY version ``label`` and record the change.

    Raises ``PromotionRefused`` (nothing written) for an unknown label or a version that is
    not READY. Promoting the current champion again is a no-op: it raises nothing and
    records nothing. Concurrent promotions serialise on the alias row's lock; each records
    the version it actually replaced, so the history is a consistent chain.
    """
    with transaction.atomic():
        version = _promotable(label=label)
        alias = _alias_lock(name=ModelAlias.Name.CHAMPION)
        if alias.version_id != version.pk:
            _alias_switch(alias=alias, version=version, changed_by=promoted_by, reason=reason)
    return version


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


def _champion_claim_if_vacant(*, version: ModelVersion, claimed_by: User | None) -> None:
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
    frame = read_dataset(data_path)
    target = INDONESIAN_SCHEMA.target
    if target not in frame.columns:
        raise DatasetError(f"{data_path.name} has no {target!r} column to evaluate against.")
    return binary_metrics(frame[target].to_numpy(), model.score_frame(frame))
