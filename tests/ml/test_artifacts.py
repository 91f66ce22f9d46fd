from __future__ import annotations

import json
import re
import shutil
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb

from credit_ml import artifacts
from credit_ml.artifacts import (
    ArtifactExistsError,
    ArtifactFormatError,
    ArtifactIntegrityError,
    ArtifactNotFoundError,
    SavedArtifact,
    directory_sha256,
    load_artifact,
    save_artifact,
)
from credit_ml.preprocessing import Encoder
from credit_ml.scoring import ScoringModel
from credit_ml.training import TrainingResult

DATA_SHA256 = "0" * 64  # as in conftest


def _writable_copy(saved: SavedArtifact, tmp_path: Path) -> Path:
    copy = tmp_path / saved.path.name
    shutil.copytree(saved.path, copy)
    for item in copy.rglob("*"):
        item.chmod(0o755 if item.is_dir() else 0o644)
    return copy


def _flip_a_byte(path: Path, offset: int = 100) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def _refuse_deserialising(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("deserialised before the integrity check")

    monkeypatch.setattr(xgb.Booster, "load_model", forbidden)
    monkeypatch.setattr(Encoder, "from_dict", forbidden)
    monkeypatch.setattr(artifacts, "_parse_manifest", forbidden)


# ---- saving --------------------------------------------------------------------------


def test_a_saved_version_holds_the_model_encoder_manifest_and_report(saved: SavedArtifact) -> None:
    names = sorted(
        p.relative_to(saved.path).as_posix() for p in saved.path.rglob("*") if p.is_file()
    )
    assert names == [
        "encoder.json",
        "manifest.json",
        "model.ubj",
        "report/calibration.png",
        "report/importance.png",
        "report/index.html",
        "report/ks.png",
        "report/roc.png",
        "report/score_distribution.png",
    ]
    assert saved.path.name == "m-test-1"


def test_every_saved_file_is_read_only(saved: SavedArtifact) -> None:
    modes = {stat.S_IMODE(p.stat().st_mode) for p in saved.path.rglob("*") if p.is_file()}
    assert modes == {0o444}


def test_the_version_directory_is_readable_by_other_users(saved: SavedArtifact) -> None:
    modes = {stat.S_IMODE(p.stat().st_mode) for p in [saved.path, saved.path / "report"]}
    assert modes == {0o755}


def test_the_returned_hash_is_the_directory_hash(saved: SavedArtifact) -> None:
    assert saved.sha256 == directory_sha256(saved.path)
    assert len(saved.sha256) == 64


def test_the_manifest_records_lineage_versions_and_results(
    saved: SavedArtifact, trained: TrainingResult
) -> None:
    manifest = json.loads((saved.path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format"] == "kreditax.model/1"
    assert manifest["label"] == "m-test-1"
    assert manifest["algorithm"] == "xgboost"
    assert manifest["schema_version"] == "id-retail-1"
    assert manifest["data_sha256"] == DATA_SHA256
    assert manifest["columns"] == list(trained.encoder.columns)
    assert manifest["column_groups"] == list(trained.encoder.column_groups)
    assert manifest["monotone_constraints"] == list(trained.monotone_constraints)
    assert set(manifest["library_versions"]) == {
        "python",
        "xgboost",
        "lightgbm",
        "numpy",
        "pandas",
        "scikit-learn",
    }
    assert manifest["library_versions"]["xgboost"] == xgb.__version__
    assert manifest["params"] == trained.config.to_dict()
    assert manifest["metrics"]["auc"] == trained.metrics["auc"]
    assert manifest["metrics"]["cv_auc_folds"] == trained.metrics["cv_auc_folds"]
    assert manifest["calibration"] == trained.calibration
    assert manifest["importance"] == trained.importance
    assert manifest["thresholds"] == {"approve_below": 0.08, "reject_from": 0.2}
    assert manifest["scaling"]["pdo"] == 50.0
    assert manifest["grades"]["bands"][-1] == ["E", 1.0]
    assert manifest["feature_config"] == {"default_annual_interest_rate": 0.18}
    assert manifest["created_at"].endswith("+00:00")


def test_an_existing_label_is_never_overwritten(
    saved: SavedArtifact, trained: TrainingResult
) -> None:
    with pytest.raises(ArtifactExistsError, match="'m-test-1' already exists"):
        save_artifact(trained, root=saved.path.parent, label="m-test-1", data_sha256=DATA_SHA256)
    assert directory_sha256(saved.path) == saved.sha256
    assert [p.name for p in saved.path.parent.iterdir()] == ["m-test-1"]  # no staging left


def test_a_label_that_is_not_a_plain_name_is_refused(
    trained: TrainingResult, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match=re.escape("Invalid model label '../escape'")):
        save_artifact(trained, root=tmp_path, label="../escape", data_sha256=DATA_SHA256)
    assert list(tmp_path.iterdir()) == []


def test_a_failure_while_writing_leaves_nothing_behind(
    trained: TrainingResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*args: object, **kwargs: object) -> Path:
        raise RuntimeError("disk full")

    monkeypatch.setattr(artifacts, "write_report", crash)
    with pytest.raises(RuntimeError, match="disk full"):
        save_artifact(trained, root=tmp_path, label="m-crash", data_sha256=DATA_SHA256)
    assert list(tmp_path.iterdir()) == []


def test_the_directory_hash_depends_on_names_and_contents(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.txt").write_bytes(b"1")
    first = directory_sha256(tmp_path / "a")
    (tmp_path / "a" / "x.txt").rename(tmp_path / "a" / "y.txt")
    renamed = directory_sha256(tmp_path / "a")
    (tmp_path / "a" / "empty").mkdir()
    assert len({first, renamed}) == 2
    assert directory_sha256(tmp_path / "a") == renamed  # empty directories do not count


# ---- loading -------------------------------------------------------------------------


def test_a_saved_version_loads_and_predicts_like_the_trained_booster(
    saved: SavedArtifact, trained: TrainingResult, applications: pd.DataFrame
) -> None:
    model = load_artifact(saved.path, expected_sha256=saved.sha256)
    assert isinstance(model, ScoringModel)
    assert model.label == "m-test-1"
    assert model.encoder == trained.encoder
    assert model.manifest.columns == trained.encoder.columns
    assert model.manifest.thresholds == trained.config.thresholds
    x = trained.encoder.transform(applications.iloc[:50])
    expected = trained.booster.predict(xgb.DMatrix(x))
    assert np.array_equal(model.booster.predict(xgb.DMatrix(x)), expected)


def test_an_uppercase_expected_hash_is_accepted(saved: SavedArtifact) -> None:
    model = load_artifact(saved.path, expected_sha256=saved.sha256.upper())
    assert model.label == "m-test-1"


@pytest.mark.parametrize("name", ["model.ubj", "manifest.json", "encoder.json", "report/roc.png"])
def test_a_changed_byte_is_refused_before_anything_is_deserialised(
    saved: SavedArtifact, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    copy = _writable_copy(saved, tmp_path)
    _flip_a_byte(copy / name)
    _refuse_deserialising(monkeypatch)
    with pytest.raises(ArtifactIntegrityError, match=f"expected SHA-256 {saved.sha256}, found "):
        load_artifact(copy, expected_sha256=saved.sha256)


def test_an_added_file_is_refused(
    saved: SavedArtifact, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = _writable_copy(saved, tmp_path)
    (copy / "extra.pkl").write_bytes(b"\x80\x04")
    _refuse_deserialising(monkeypatch)
    with pytest.raises(ArtifactIntegrityError, match="failed its integrity check"):
        load_artifact(copy, expected_sha256=saved.sha256)


def test_a_removed_file_is_refused(saved: SavedArtifact, tmp_path: Path) -> None:
    copy = _writable_copy(saved, tmp_path)
    (copy / "report" / "importance.png").unlink()
    with pytest.raises(ArtifactIntegrityError, match="failed its integrity check"):
        load_artifact(copy, expected_sha256=saved.sha256)


def test_a_symbolic_link_is_refused(saved: SavedArtifact, tmp_path: Path) -> None:
    copy = _writable_copy(saved, tmp_path)
    (copy / "link").symlink_to(copy / "model.ubj")
    with pytest.raises(ArtifactIntegrityError, match="symbolic link"):
        load_artifact(copy, expected_sha256=saved.sha256)


def test_a_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(ArtifactNotFoundError, match=f"No model artifact directory at {missing}"):
        load_artifact(missing, expected_sha256="0" * 64)


def test_an_artifact_saved_by_something_else_is_refused(
    saved: SavedArtifact, tmp_path: Path
) -> None:
    copy = _writable_copy(saved, tmp_path)
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    manifest["format"] = "bentoml.model/1"
    (copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(
        ArtifactFormatError, match=re.escape("manifest format is 'bentoml.model/1'")
    ):
        load_artifact(copy, expected_sha256=directory_sha256(copy))


def test_a_directory_without_a_manifest_is_refused(tmp_path: Path) -> None:
    (tmp_path / "model.ubj").write_bytes(b"{}")
    with pytest.raises(ArtifactFormatError, match=re.escape("manifest.json is missing")):
        load_artifact(tmp_path, expected_sha256=directory_sha256(tmp_path))
