"""Training and evaluating model versions: the steps a training run takes, the in-process
run (``model_version_train``), evaluation, and who runs a command (``command_operator``).

Training runs outside any transaction on purpose: the ``PENDING`` row is committed before
the (long) fit starts so that people can see it, and it ends ``READY`` or ``FAILED``.
"""

from __future__ import annotations

import dataclasses
import getpass
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
from django.contrib.auth import get_user_model
from django.utils import timezone

from credit_ml.artifacts import (
    ArtifactExistsError,
    save_artifact,
)
from credit_ml.datasets import DatasetError, is_parquet_input, missing_shares, read_dataset
from credit_ml.evaluation import binary_metrics
from credit_ml.features import FeatureInputError
from credit_ml.monitoring import holdout_sample_baseline, training_baseline
from credit_ml.scaling import DecisionThresholds
from credit_ml.schema import INDONESIAN_SCHEMA, ApplicationSchema
from credit_ml.spec import DatasetSpec, DatasetSpecError, load_spec, read_training_frame
from credit_ml.training import (
    DaskTrainingFailed,
    Progress,
    TrainConfig,
    TrainingDataError,
    TrainingResult,
    train_model,
)
from registry.models import ModelVersion
from registry.selectors import model_version_get
from registry.services import labelled_frame_read, model_version_load

if TYPE_CHECKING:
    from distributed import Client
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

#: Errors whose message is written for people and may be stored as the version's ``error``.
READABLE_ERRORS: tuple[type[Exception], ...] = (
    TrainingDataError,
    DatasetError,
    DatasetSpecError,
    FeatureInputError,
    DaskTrainingFailed,
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


@dataclass(frozen=True)
class Operator:
    """Who runs a command: ``user`` when --user named one, and ``name`` as recorded
    (the username, or ``os:NAME`` for the operating-system account)."""

    user: User | None
    name: str


def command_operator(*, username: str | None) -> Operator:
    """The user named by ``--user`` (who must exist), else the operating-system account.

    Raises ``ValueError`` naming an unknown username (nothing is written then).
    """
    if username:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise ValueError(f"No user is named {username!r}; --user takes an existing username.")
        return Operator(user=user, name=user.get_username())
    return Operator(user=None, name=f"os:{_os_account()}")


def _os_account() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name and no passwd entry (some containers)
        return f"uid-{os.getuid()}"


@dataclass(frozen=True)
class TrainedArtifact:
    artifact_path: Path
    artifact_sha256: str
    metrics: dict[str, Any]
    data_rows: int
    #: ``credit_ml.monitoring.ModelBaseline.to_dict`` of the training data, if computed.
    baseline: dict[str, Any] | None = None


# --------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------


def train_config_build(
    *, algorithm: str, params: Mapping[str, Any], spec: DatasetSpec | None = None
) -> TrainConfig:
    """A ``TrainConfig`` from command-line, API or task parameters (``TrainConfig.to_dict``
    names, nested ones as JSON objects); unknown names are refused.

    The model's decision thresholds: ``thresholds`` (PD cut-offs ``approve_below``,
    ``reject_from``) or ``target_rates`` (``approve_rate``, ``review_rate``: shares of the
    holdout), not both; when the parameters give neither, the spec's ``thresholds`` apply.
    """
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    unknown = sorted(set(params) - known)
    if unknown:
        raise TrainingRefused(f"Unknown training parameter(s): {', '.join(unknown)}.")
    if params.get("thresholds") and params.get("target_rates"):
        raise TrainingRefused(
            "Give either PD cut-offs (thresholds) or target rates (target_rates), not both."
        )
    try:
        config = TrainConfig.from_dict({**params, "algorithm": algorithm})
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise TrainingRefused(f"Invalid training parameters: {exc!s}") from exc
    if spec is None or params.get("thresholds") or params.get("target_rates"):
        return config
    if spec.target_rates is not None:
        return dataclasses.replace(config, target_rates=spec.target_rates)
    if spec.thresholds is not None:
        return dataclasses.replace(config, thresholds=spec.thresholds)
    return config


def train_params(*, config: TrainConfig) -> dict[str, Any]:
    """The parameters (JSON) ``train_config_build`` turns back into ``config``; the
    algorithm and thread count are the run's own. Default cut-offs are left out, so that
    a spec's thresholds apply to a config that did not set its own."""
    params = json_safe(config.to_dict())
    if config.target_rates is None and config.thresholds == DecisionThresholds():
        del params["thresholds"]
    return {name: value for name, value in params.items() if name not in {"algorithm", "n_threads"}}


def model_version_train(
    *,
    data_path: Path,
    algorithm: str = ModelVersion.Algorithm.XGBOOST,
    config: TrainConfig | None = None,
    created_by: User | None = None,
    spec_path: Path | None = None,
    params: Mapping[str, Any] | None = None,
    engine: str = "local",
) -> ModelVersion:
    """Train a new version on ``data_path`` in this process and register it.

    The one training path: a ``TrainingRun`` is created and executed here
    (``training.runs.training_run_execute``), as a worker would. Its ``PENDING`` version
    ends ``READY`` (artifact saved under ``KREDITAX_ARTIFACT_DIR / label``, SHA-256 and
    metrics recorded) or ``FAILED`` (readable ``error``, no artifact directory left,
    champion unchanged), and then ``TrainingFailed`` is raised. The first ``READY`` version
    becomes champion when there is none. ``algorithm`` wins over ``config.algorithm``;
    ``n_threads`` always comes from ``KREDITAX_TRAINING_THREADS``. ``spec_path``: a
    lender's dataset spec (``credit_ml.spec``); without it the file must follow the
    built-in Indonesian schema. ``params`` (``train_config_build``'s, as the command and
    the API give them) instead of ``config``. ``engine``: ``"local"`` or ``"dask"`` (trained
    on the cluster of ``KREDITAX_DASK_SCHEDULER``, ``model_version_fit``; ``data_path`` may
    then be a folder of Parquet parts). Raises
    ``TrainingRefused`` (nothing written) for an unknown algorithm or engine, a missing file,
    bad parameters or an unusable spec.
    """
    from training.runs import training_run_create, training_run_execute  # runs import this

    run = training_run_create(
        data_path=data_path,
        algorithm=algorithm,
        params=params if params is not None else train_params(config=config or TrainConfig()),
        spec_path=spec_path,
        requested_by=created_by,
        engine=engine,
    )
    logger.info("training run %s in-process on %s", run.pk, data_path)
    run = training_run_execute(run_id=run.pk)
    version = run.model_version
    if version is None:  # refused when claimed (the spec changed since it was checked)
        raise TrainingFailed(f"Training run {run.pk} failed: {run.error}")
    version.refresh_from_db()
    if version.status != ModelVersion.Status.READY:
        raise TrainingFailed(f"Training {version.label} failed: {version.error}", version)
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
    engine: str = "local",
) -> TrainedArtifact:
    """Train on the file and save the artifact under ``KREDITAX_ARTIFACT_DIR / label``.

    ``progress(stage, fraction)`` may raise to stop the run (cancellation); the caller
    then marks the version failed, which removes any partial artifact. ``engine="dask"``
    trains on the cluster of ``KREDITAX_DASK_SCHEDULER``: from Parquet (a file or a folder
    of parts) the workers read the data and this process never holds it
    (``_train_from_parquet_on_dask``); a CSV file is read here and only the boosters are
    fitted on the cluster (``_train_on_dask``). The version then records the engine, the
    cluster's size, the partitioning and who read the data.
    """
    schema = spec.schema() if spec is not None else INDONESIAN_SCHEMA
    if engine == "dask" and is_parquet_input(data_path):
        result = _train_from_parquet_on_dask(
            data_path, schema=schema, spec=spec, config=config, progress=progress
        )
    else:
        result = _train_in_process(
            data_path, schema=schema, spec=spec, config=config, progress=progress, engine=engine
        )
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
        data_rows=result.n_rows,
        baseline=result.baseline.to_dict() if result.baseline is not None else None,
    )


def _train_in_process(
    data_path: Path,
    *,
    schema: ApplicationSchema,
    spec: DatasetSpec | None,
    config: TrainConfig,
    progress: Progress,
    engine: str,
) -> TrainingResult:
    """The data read into this process; trained here, or with the boosters fitted on the
    cluster (``engine="dask"``); missing shares and the baseline over the whole frame."""
    frame = training_frame_read(data_path=data_path, spec=spec)
    if engine == "dask":
        result = _train_on_dask(frame, schema=schema, config=config, progress=progress)
    else:
        result = train_model(frame, schema=schema, config=config, progress=progress)
    # Kept with the metrics (manifest and registry), so the reports can show them.
    return dataclasses.replace(
        result,
        metrics={**result.metrics, "missing_share": missing_shares(frame, schema)},
        baseline=training_baseline(result, frame, schema=schema),
    )


def _dask_client() -> Client:
    from credit_ml.distributed import connect

    address = settings.KREDITAX_DASK_SCHEDULER
    try:
        return connect(address)
    except (OSError, TimeoutError) as exc:
        raise DaskTrainingFailed(f"Could not reach the Dask scheduler at {address}.") from exc


def _train_on_dask(
    frame: pd.DataFrame, *, schema: ApplicationSchema, config: TrainConfig, progress: Progress
) -> TrainingResult:
    """``train_model`` with every booster fitted by ``xgboost.dask`` on the cluster, the rows
    cut into two blocks per worker; the engine, cluster and partitioning join the metrics."""
    from credit_ml.dask_training import DaskFit
    from credit_ml.distributed import cluster_size

    with _dask_client() as client:
        cluster = cluster_size(client)
        fit = DaskFit(client=client, partitions=2 * max(cluster["workers"], 1))
        result = train_model(frame, schema=schema, config=config, progress=progress, fit=fit)
    engine = {
        "engine": "dask",
        "cluster": cluster,
        "partitions": fit.partitions,
        "data_read": "training process",
    }
    return dataclasses.replace(result, metrics={**result.metrics, **engine})


def _train_from_parquet_on_dask(
    data_path: Path,
    *,
    schema: ApplicationSchema,
    spec: DatasetSpec | None,
    config: TrainConfig,
    progress: Progress,
) -> TrainingResult:
    """``credit_ml.dask_pipeline.train_on_cluster``: the workers read, check, split and
    encode the Parquet parts. The missing shares come from the workers' counts over all
    rows; the monitoring baseline from a uniform sample of the holdout (at most
    ``BASELINE_ROWS`` rows, ``holdout_sample_baseline``), as no process holds every row."""
    from credit_ml.dask_pipeline import parquet_source, train_on_cluster
    from credit_ml.dask_training import DaskFit
    from credit_ml.distributed import cluster_size

    source = parquet_source(data_path, schema=schema, spec=spec)
    with _dask_client() as client:
        cluster = cluster_size(client)
        fit = DaskFit(client=client, partitions=len(source.files))
        trained = train_on_cluster(fit, source, config=config, progress=progress)
    result = trained.result
    engine = {
        "engine": "dask",
        "cluster": cluster,
        "partitions": trained.partitions,
        "data_read": "workers",
        "baseline_rows": len(trained.sample),
    }
    return dataclasses.replace(
        result,
        metrics={**result.metrics, "missing_share": trained.missing_share, **engine},
        baseline=holdout_sample_baseline(result, trained.sample, schema=schema),
    )


def model_version_mark_ready(*, version: ModelVersion, trained: TrainedArtifact) -> None:
    version.status = ModelVersion.Status.READY
    version.artifact_path = str(trained.artifact_path)
    version.artifact_sha256 = trained.artifact_sha256
    version.metrics = trained.metrics
    version.data_rows = trained.data_rows
    version.baseline = trained.baseline
    version.baseline_source = trained.baseline["source"] if trained.baseline else ""
    version.ready_at = timezone.now()
    version.save(
        update_fields=[
            "status",
            "artifact_path",
            "artifact_sha256",
            "metrics",
            "data_rows",
            "baseline",
            "baseline_source",
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
# Evaluation
# --------------------------------------------------------------------------------------


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
