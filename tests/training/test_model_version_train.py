from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from credit_ml.artifacts import directory_sha256
from credit_ml.datasets import write_dataset
from credit_ml.training import TrainConfig
from registry.models import ModelAlias, ModelAliasChange, ModelVersion
from registry.selectors import champion_version
from training import services
from training.services import TrainingFailed, TrainingRefused, model_version_train

pytestmark = pytest.mark.django_db


def _write(frame: pd.DataFrame, tmp_path: Path, name: str = "bad.csv") -> Path:
    path = tmp_path / name
    write_dataset(frame, path)
    return path


def test_training_registers_a_ready_version_with_its_artifact_sha_and_metrics(
    ready_version: ModelVersion, training_csv: Path, artifact_dir: Path
) -> None:
    version = ModelVersion.objects.get()
    assert version == ready_version
    assert version.status == ModelVersion.Status.READY
    assert version.algorithm == "xgboost"
    assert version.artifact_path == str(artifact_dir / version.label)
    assert version.artifact_sha256 == directory_sha256(Path(version.artifact_path))
    assert len(version.artifact_sha256) == 64
    assert version.data_rows == 3000
    assert version.error == ""
    assert version.ready_at is not None
    assert version.ready_at >= version.created_at
    assert 0.5 < version.metrics["auc"] <= 1.0
    assert version.params["n_estimators"] == 15
    assert version.params["folds"] == 0


def test_the_data_fingerprint_is_the_sha256_of_the_training_file(
    ready_version: ModelVersion, training_csv: Path
) -> None:
    import hashlib

    assert ready_version.data_fingerprint == hashlib.sha256(training_csv.read_bytes()).hexdigest()


def test_the_label_names_the_algorithm_the_utc_time_and_a_random_suffix(
    ready_version: ModelVersion,
) -> None:
    assert re.fullmatch(r"xgboost-\d{8}-\d{6}-[0-9a-f]{4}", ready_version.label)


def test_metrics_are_stored_as_plain_json_numbers(ready_version: ModelVersion) -> None:
    ready_version.refresh_from_db()
    for name, value in ready_version.metrics.items():
        assert value is None or isinstance(value, int | float | str | list | dict), name
    assert type(ready_version.metrics["auc"]) is float


def test_the_first_ready_version_becomes_champion_and_the_change_is_recorded(
    ready_version: ModelVersion,
) -> None:
    assert champion_version() == ready_version
    assert ready_version.is_champion
    change = ModelAliasChange.objects.get()
    assert change.alias == ModelAlias.Name.CHAMPION
    assert change.from_version is None
    assert change.to_version == ready_version
    assert change.reason == "first ready version"


def test_a_second_version_does_not_replace_the_champion(
    ready_version: ModelVersion, training_csv: Path, tiny_config: TrainConfig
) -> None:
    second = model_version_train(data_path=training_csv, config=tiny_config)
    assert second.status == ModelVersion.Status.READY
    assert champion_version() == ready_version
    assert ModelAliasChange.objects.count() == 1


def test_the_pending_row_is_written_before_training_starts(
    training_csv: Path, tiny_config: TrainConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    real_train = services.train_model  # type: ignore[attr-defined,unused-ignore]

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.extend(ModelVersion.objects.values_list("status", flat=True))
        return real_train(*args, **kwargs)

    monkeypatch.setattr(services, "train_model", spy)
    model_version_train(data_path=training_csv, config=tiny_config)
    assert seen == [ModelVersion.Status.PENDING]


def test_training_threads_come_from_settings(
    settings: Any, training_csv: Path, tiny_config: TrainConfig
) -> None:
    settings.KREDITAX_TRAINING_THREADS = 2
    version = model_version_train(data_path=training_csv, config=tiny_config)
    assert version.params["n_threads"] == 2


def test_a_file_without_the_target_fails_with_a_readable_error_and_no_artifact(
    training_frame: pd.DataFrame, tmp_path: Path, tiny_config: TrainConfig, artifact_dir: Path
) -> None:
    path = _write(training_frame.drop(columns=["is_default"]), tmp_path)
    with pytest.raises(TrainingFailed) as caught:
        model_version_train(data_path=path, config=tiny_config)
    version = ModelVersion.objects.get()
    assert caught.value.version == version
    assert version.status == ModelVersion.Status.FAILED
    assert "is_default" in version.error
    assert "Traceback" not in version.error
    assert version.artifact_sha256 == ""
    assert version.metrics == {}
    assert version.ready_at is None
    assert not (artifact_dir / version.label).exists()
    assert champion_version() is None
    assert ModelAliasChange.objects.count() == 0


def test_a_file_with_one_class_fails_and_leaves_the_champion_unchanged(
    ready_version: ModelVersion,
    training_frame: pd.DataFrame,
    tmp_path: Path,
    tiny_config: TrainConfig,
    artifact_dir: Path,
) -> None:
    path = _write(training_frame.assign(is_default=0), tmp_path)
    with pytest.raises(TrainingFailed):
        model_version_train(data_path=path, config=tiny_config)
    failed = ModelVersion.objects.get(status=ModelVersion.Status.FAILED)
    assert failed.error != ""
    assert "Traceback" not in failed.error
    assert not (artifact_dir / failed.label).exists()
    assert champion_version() == ready_version
    assert ModelAliasChange.objects.count() == 1


def test_an_unexpected_error_is_stored_as_a_generic_message_and_the_partial_artifact_removed(
    training_csv: Path,
    tiny_config: TrainConfig,
    artifact_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def save_half_then_crash(
        result: Any, *, root: Path, label: str, data_sha256: str, **_: Any
    ) -> Any:
        (root / label).mkdir(parents=True)
        (root / label / "model.ubj").write_bytes(b"half")
        (root / label).chmod(0o555)  # read-only like a finished artifact
        raise RuntimeError("disk detail that must not reach the registry")

    monkeypatch.setattr(services, "save_artifact", save_half_then_crash)
    with pytest.raises(TrainingFailed):
        model_version_train(data_path=training_csv, config=tiny_config)
    version = ModelVersion.objects.get()
    assert version.status == ModelVersion.Status.FAILED
    assert version.error == (
        "Training failed with an unexpected RuntimeError; the server log has the details."
    )
    assert not (artifact_dir / version.label).exists()
    assert champion_version() is None


def test_a_missing_file_is_refused_and_nothing_is_written(
    tmp_path: Path, tiny_config: TrainConfig
) -> None:
    with pytest.raises(TrainingRefused, match="not found"):
        model_version_train(data_path=tmp_path / "nope.csv", config=tiny_config)
    assert ModelVersion.objects.count() == 0


def test_an_unknown_algorithm_is_refused_and_nothing_is_written(
    training_csv: Path, tiny_config: TrainConfig
) -> None:
    with pytest.raises(TrainingRefused, match="Unknown algorithm 'catboost'"):
        model_version_train(data_path=training_csv, algorithm="catboost", config=tiny_config)
    assert ModelVersion.objects.count() == 0


def test_a_lightgbm_version_is_trained_and_saved_in_lightgbms_own_format(
    training_csv: Path, tiny_config: TrainConfig
) -> None:
    version = model_version_train(data_path=training_csv, algorithm="lightgbm", config=tiny_config)
    assert (version.status, version.algorithm) == (ModelVersion.Status.READY, "lightgbm")
    assert version.label.startswith("lightgbm-")
    artifact = Path(version.artifact_path)
    assert (artifact / "model.txt").read_text().startswith("tree\n")
    assert not (artifact / "model.ubj").exists()
    assert json.loads((artifact / "manifest.json").read_text())["algorithm"] == "lightgbm"
    assert version.params["algorithm"] == "lightgbm"


def test_an_artifact_directory_that_already_exists_is_left_alone(
    training_csv: Path,
    tiny_config: TrainConfig,
    artifact_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(services, "_new_label", lambda *, algorithm: "xgboost-taken")
    (artifact_dir / "xgboost-taken").mkdir(parents=True)
    (artifact_dir / "xgboost-taken" / "model.ubj").write_bytes(b"someone else's")
    with pytest.raises(TrainingFailed):
        model_version_train(data_path=training_csv, config=tiny_config)
    assert ModelVersion.objects.get().status == ModelVersion.Status.FAILED
    assert (artifact_dir / "xgboost-taken" / "model.ubj").read_bytes() == b"someone else's"
