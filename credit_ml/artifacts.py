"""Model versions as immutable, hash-verified directories.

Layout of ``<root>/<label>/``::

    model.ubj       the booster in XGBoost's own UBJSON format, or
    model.txt       a LightGBM booster in LightGBM's own text format (manifest "algorithm")
    encoder.json    the Encoder (preprocessing.Encoder.to_dict)
    manifest.json   what the version is (scoring.ModelManifest), "format": "kreditax.model/1"
    baseline.json   the monitoring baseline (credit_ml.monitoring.ModelBaseline), when trained
                    with one
    report/         index.html and PNG plots (credit_ml.report)

``save_artifact`` writes into a hidden temporary directory beside the target and renames
it into place (atomic on one filesystem), never over an existing label, and leaves every
file read-only. ``load_artifact`` reads every file once into memory, checks the directory
hash against the one the registry recorded, and only then parses anything, from those
same bytes (no window between the check and the use).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import platform
import re
import shutil
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
import sklearn
import xgboost as xgb

from credit_ml import lgbm
from credit_ml.monitoring import ModelBaseline
from credit_ml.preprocessing import Encoder
from credit_ml.report import write_report
from credit_ml.scoring import MANIFEST_FORMAT, ModelManifest, ScoringModel
from credit_ml.training import TrainingResult

MODEL_FILE = "model.ubj"
ENCODER_FILE = "encoder.json"
MANIFEST_FILE = "manifest.json"
BASELINE_FILE = "baseline.json"
REPORT_DIR = "report"

_LABEL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_READ_ONLY = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH  # 0444
_READABLE_DIR = stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH  # 0755


class ArtifactError(Exception):
    """Base class of artifact problems."""


class ArtifactIntegrityError(ArtifactError):
    """The directory is not byte-for-byte the version the registry recorded."""


class ArtifactFormatError(ArtifactError):
    """The directory was not saved by this module (unknown or missing format marker)."""


class ArtifactNotFoundError(ArtifactError, FileNotFoundError):
    """There is no artifact directory at the path."""


class ArtifactExistsError(ArtifactError, FileExistsError):
    """A version with this label already exists; versions are never overwritten."""


@dataclass(frozen=True)
class SavedArtifact:
    path: Path
    sha256: str


# ---- hashing -------------------------------------------------------------------------


def _read_files(path: Path) -> dict[str, bytes]:
    """Every regular file under ``path`` by relative POSIX path; symlinks are refused."""
    files: dict[str, bytes] = {}
    for item in sorted(path.rglob("*")):
        if item.is_symlink():
            raise ArtifactIntegrityError(f"Artifact contains a symbolic link: {item.name}.")
        if item.is_file():
            files[item.relative_to(path).as_posix()] = item.read_bytes()
    return files


def _hash_files(files: dict[str, bytes]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files, key=lambda n: n.encode("utf-8")):
        content = files[name]
        encoded = name.encode("utf-8")
        digest.update(len(encoded).to_bytes(8, "big") + encoded)
        digest.update(len(content).to_bytes(8, "big") + content)
    return digest.hexdigest()


def directory_sha256(path: Path) -> str:
    """SHA-256 (hex) over every regular file under ``path``, recursively.

    Files are taken in the byte order of their UTF-8 relative POSIX paths; for each, the
    digest is fed the path's length (8 bytes, big-endian), the path, the content's length
    (8 bytes, big-endian) and the content. Renaming, adding, removing or changing any
    file changes the hash; empty directories and permissions do not count. Symbolic
    links are refused.
    """
    if not path.is_dir():
        raise ArtifactNotFoundError(f"No model artifact directory at {path}.")
    return _hash_files(_read_files(path))


# ---- saving --------------------------------------------------------------------------


def library_versions() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "xgboost": xgb.__version__,
        "lightgbm": lgb.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "scikit-learn": sklearn.__version__,
    }


def build_manifest(
    result: TrainingResult,
    *,
    label: str,
    data_sha256: str,
    dataset_spec: Mapping[str, Any] | None = None,
) -> ModelManifest:
    """The manifest of a training result, stamped now (UTC); ``dataset_spec`` if any."""
    config = result.config
    return ModelManifest(
        format=MANIFEST_FORMAT,
        label=label,
        algorithm=config.algorithm,
        schema_version=result.schema_version,
        columns=result.encoder.columns,
        column_groups=result.encoder.column_groups,
        monotone_constraints=result.monotone_constraints,
        library_versions=library_versions(),
        data_sha256=data_sha256,
        params=config.to_dict(),
        metrics={
            **result.metrics,
            "n_rows": result.n_rows,
            "n_train": result.n_train,
            "n_test": result.n_test,
            "overall_default_rate": result.default_rate,
            "fairness": result.fairness,
        },
        calibration=tuple(result.calibration),
        importance=result.importance,
        scaling=config.scaling,
        grades=config.grades,
        thresholds=config.thresholds,
        feature_config=config.feature_config,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        dataset_spec=dataset_spec,
    )


def _json_bytes(data: Any) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True, allow_nan=False) + "\n").encode("utf-8")


def _make_read_only(path: Path) -> None:
    """Files read-only for everyone; directories readable (mkdtemp made the top one 0700)."""
    path.chmod(_READABLE_DIR)
    for item in path.rglob("*"):
        item.chmod(_READ_ONLY if item.is_file() else _READABLE_DIR)


def save_artifact(
    result: TrainingResult,
    *,
    root: Path,
    label: str,
    data_sha256: str,
    dataset_spec: Mapping[str, Any] | None = None,
) -> SavedArtifact:
    """Write the version ``label`` under ``root`` and return its path and directory hash.

    Raises ``ArtifactExistsError`` if ``root/label`` exists and ``ValueError`` for a label
    that is not a plain name (letters, digits, ``.``, ``_``, ``-``; at most 100).
    """
    if not _LABEL_RE.match(label):
        raise ValueError(f"Invalid model label {label!r}: use letters, digits, '.', '_', '-'.")
    root.mkdir(parents=True, exist_ok=True)
    target = root / label
    if target.exists():
        raise ArtifactExistsError(f"Model version {label!r} already exists at {target}.")
    staging = Path(tempfile.mkdtemp(prefix=f".{label}.", suffix=".tmp", dir=root))
    try:
        _write_contents(
            result, staging, label=label, data_sha256=data_sha256, dataset_spec=dataset_spec
        )
        _make_read_only(staging)
        digest = directory_sha256(staging)
        if target.exists():
            raise ArtifactExistsError(f"Model version {label!r} already exists at {target}.")
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return SavedArtifact(path=target, sha256=digest)


def _write_contents(
    result: TrainingResult,
    directory: Path,
    *,
    label: str,
    data_sha256: str,
    dataset_spec: Mapping[str, Any] | None = None,
) -> None:
    if isinstance(result.booster, lgb.Booster):  # LightGBM's own text format
        lgbm.save(result.booster, os.fspath(directory / lgbm.MODEL_FILE))
    else:
        result.booster.save_model(os.fspath(directory / MODEL_FILE))
    (directory / ENCODER_FILE).write_bytes(_json_bytes(result.encoder.to_dict()))
    manifest = build_manifest(
        result, label=label, data_sha256=data_sha256, dataset_spec=dataset_spec
    )
    (directory / MANIFEST_FILE).write_bytes(_json_bytes(manifest.to_dict()))
    if result.baseline is not None:
        (directory / BASELINE_FILE).write_bytes(_json_bytes(result.baseline.to_dict()))
    write_report(result, directory / REPORT_DIR, label=label)


# ---- loading -------------------------------------------------------------------------


def load_artifact(path: Path, *, expected_sha256: str, n_threads: int = 1) -> ScoringModel:
    """Verify, then load, a saved version as a ``ScoringModel``.

    The directory hash must equal ``expected_sha256`` (from the registry) before anything
    is parsed: ``ArtifactIntegrityError`` otherwise. A manifest without our format marker
    raises ``ArtifactFormatError``; a missing directory ``ArtifactNotFoundError``.
    """
    files = read_verified_files(path, expected_sha256=expected_sha256)
    manifest = _parse_manifest(files)
    encoder = Encoder.from_dict(_parse_json(files, ENCODER_FILE))
    booster: xgb.Booster | lgb.Booster
    if manifest.algorithm == "lightgbm":
        booster = lgbm.load(_required(files, lgbm.MODEL_FILE))
    else:
        booster = xgb.Booster()
        booster.load_model(bytearray(_required(files, MODEL_FILE)))
    model = ScoringModel(manifest=manifest, encoder=encoder, booster=booster, n_threads=n_threads)
    model.tree_tables  # noqa: B018 - built now, at load, not by the first request
    return model


def read_verified_files(path: Path, *, expected_sha256: str) -> dict[str, bytes]:
    """Every file of the artifact by relative path, once its directory hash is checked.

    Raises ``ArtifactNotFoundError`` or ``ArtifactIntegrityError``; nothing is parsed.
    """
    if not path.is_dir():
        raise ArtifactNotFoundError(f"No model artifact directory at {path}.")
    files = _read_files(path)
    found = _hash_files(files)
    if not hmac.compare_digest(found, expected_sha256.lower()):
        raise ArtifactIntegrityError(
            f"Model artifact {path.name} failed its integrity check: "
            f"expected SHA-256 {expected_sha256}, found {found}."
        )
    return files


def read_manifest(files: dict[str, bytes]) -> ModelManifest:
    """The manifest among verified files; ``ArtifactFormatError`` if it is not ours."""
    return _parse_manifest(files)


def read_baseline(files: dict[str, bytes]) -> ModelBaseline | None:
    """The monitoring baseline among verified files, None for a version saved without one."""
    if BASELINE_FILE not in files:
        return None
    return ModelBaseline.from_dict(_parse_json(files, BASELINE_FILE))


def _required(files: dict[str, bytes], name: str) -> bytes:
    if name not in files:
        raise ArtifactFormatError(f"Not a KreditaX model artifact: {name} is missing.")
    return files[name]


def _parse_json(files: dict[str, bytes], name: str) -> Any:
    try:
        return json.loads(_required(files, name))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ArtifactFormatError(f"{name} is not valid JSON.") from None


def _parse_manifest(files: dict[str, bytes]) -> ModelManifest:
    data = _parse_json(files, MANIFEST_FILE)
    marker = data.get("format") if isinstance(data, dict) else None
    if marker != MANIFEST_FORMAT:
        raise ArtifactFormatError(
            f"Not a KreditaX model artifact: manifest format is {marker!r}, "
            f"expected {MANIFEST_FORMAT!r}."
        )
    return ModelManifest.from_dict(data)
