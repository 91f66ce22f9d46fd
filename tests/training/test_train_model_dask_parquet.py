"""``train_model --engine dask`` on Parquet: the workers of a LocalCluster (two worker
processes started here) read, check, split and encode the parts; the training process
never reads the data. The model's holdout AUC is within 0.005 of the single-machine one,
bad data is refused with the local path's message, and a lost worker fails the run."""

from __future__ import annotations

import json
import os
import re
import signal
import threading
import time
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from django.core.management import CommandError, call_command

from credit_ml.datasets import write_dataset
from credit_ml.portfolio import path_sha256
from credit_ml.synthetic import generate_applications
from registry.models import ModelVersion
from registry.selectors import champion_version
from training.models import TrainingRun
from training.runs import training_run_create

distributed = pytest.importorskip("distributed", reason="needs dask: pip install dask[distributed]")

pytestmark = pytest.mark.django_db

PARTS = 4
PARAMS = {"n_estimators": 120, "max_depth": 4, "seed": 3, "folds": 2}


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """Two worker processes: what they read is not read by this one."""
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as cluster:
        yield cluster


def _write_parts(frame: pd.DataFrame, folder: Path) -> Path:
    size = -(-len(frame) // PARTS)
    for i in range(PARTS):
        write_dataset(frame.iloc[i * size : (i + 1) * size], folder / f"part-{i:02d}.parquet")
    return folder


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The same 20,000 applications as one Parquet file and as a folder of four parts."""
    frame = generate_applications(20_000, 21)
    root = tmp_path_factory.mktemp("parquet")
    write_dataset(frame, root / "whole.parquet")
    return root / "whole.parquet", _write_parts(frame, root / "parts")


def _forbid_reading_here(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the training process read the data")

    monkeypatch.setattr("pandas.read_parquet", refuse)
    monkeypatch.setattr("pyarrow.parquet.read_table", refuse)
    monkeypatch.setattr("credit_ml.datasets.read_dataset", refuse)
    monkeypatch.setattr("credit_ml.spec.read_lender_file", refuse)
    monkeypatch.setattr("credit_ml.spec.read_training_frame", refuse)
    monkeypatch.setattr("training.services.training_frame_read", refuse)


def test_the_workers_read_the_parts_and_the_model_is_within_0005_of_the_local_one(
    data: tuple[Path, Path], cluster: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole, parts = data
    call_command("train_model", data=whole, stdout=StringIO(), **PARAMS)
    local = ModelVersion.objects.get()
    settings.KREDITAX_DASK_SCHEDULER = cluster.scheduler_address
    _forbid_reading_here(monkeypatch)

    call_command("train_model", data=parts, engine="dask", stdout=StringIO(), **PARAMS)

    run = TrainingRun.objects.get(engine="dask")
    version = run.model_version
    assert version is not None
    assert (run.status, version.status) == ("SUCCEEDED", ModelVersion.Status.READY)
    assert version.data_path == str(parts)
    metrics = version.metrics
    assert metrics["engine"] == "dask"
    assert metrics["cluster"] == {"workers": 2, "threads": 2}
    assert metrics["partitions"] == PARTS
    assert metrics["data_read"] == "workers"
    assert metrics["baseline_rows"] == 4_000
    assert abs(metrics["auc"] - local.metrics["auc"]) <= 0.005
    assert metrics["n"] == local.metrics["n"] == 4_000
    assert len(metrics["cv_auc_folds"]) == 2
    assert metrics["missing_share"] == local.metrics["missing_share"]  # over all rows
    assert metrics["fairness"].keys() == local.metrics["fairness"].keys()
    assert metrics["decision_bands"]["bands"][0]["decision"] == "APPROVE"
    assert version.data_rows == local.data_rows == 20_000
    assert version.baseline is not None
    assert local.baseline is not None
    assert version.baseline["fields"].keys() == local.baseline["fields"].keys()
    assert Path(version.artifact_path).is_dir()
    assert champion_version() == local  # a second version does not take the champion


def test_a_bad_target_in_one_part_is_refused_as_locally_and_nothing_is_kept(
    tmp_path: Path, cluster: Any, settings: Any
) -> None:
    frame = generate_applications(2_000, 5)
    frame.loc[1_234, "is_default"] = 2
    write_dataset(frame, tmp_path / "whole.parquet")
    parts = _write_parts(frame, tmp_path / "parts")
    message = "The target 'is_default' must hold only 0 and 1 (no missing)."
    with pytest.raises(CommandError, match=re.escape(message)) as local:
        call_command("train_model", data=tmp_path / "whole.parquet", stdout=StringIO(), **PARAMS)
    settings.KREDITAX_DASK_SCHEDULER = cluster.scheduler_address

    with pytest.raises(CommandError) as spread:
        call_command("train_model", data=parts, engine="dask", stdout=StringIO(), **PARAMS)

    assert str(spread.value).split(": ", 1)[1] == str(local.value).split(": ", 1)[1]
    assert list(TrainingRun.objects.values_list("status", "error")) == [("FAILED", message)] * 2
    assert set(ModelVersion.objects.values_list("status", flat=True)) == {"FAILED"}
    assert list(ModelVersion.objects.exclude(artifact_path="")) == []
    assert not any(Path(settings.KREDITAX_ARTIFACT_DIR).glob("*"))
    assert champion_version() is None


SPEC: dict[str, Any] = {
    "name": "lender",
    "version": "1",
    "target": {"column": "status", "default_values": ["bad"]},
    "features": [
        {"name": "income", "type": "numeric", "monotone": -1},
        {"name": "region", "type": "categorical"},
    ],
    "protected": [{"name": "sex", "type": "categorical"}],
    "min_rows": 100,
}


def test_a_lenders_bad_row_in_the_third_part_is_named_by_its_row_in_the_whole_input(
    tmp_path: Path, cluster: Any, settings: Any
) -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "income": rng.integers(1, 100, 400).astype(str),
            "region": rng.choice(["north", "south"], 400),
            "sex": rng.choice(["F", "M"], 400),
            "status": ["bad", "good", "good", "good"] * 100,
        }
    )
    frame.loc[250, "income"] = "lots"
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(SPEC))
    frame.to_parquet(tmp_path / "whole.parquet", index=False)
    parts = _write_parts(frame, tmp_path / "parts")
    message = (
        "Column 'income' is numeric but holds text, e.g. 'lots' in data row 251 (1 such row(s))."
    )
    small = {**PARAMS, "n_estimators": 5}
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command(
            "train_model", data=tmp_path / "whole.parquet", spec=spec, stdout=StringIO(), **small
        )
    settings.KREDITAX_DASK_SCHEDULER = cluster.scheduler_address

    with pytest.raises(CommandError, match=re.escape(message)):
        call_command(
            "train_model", data=parts, spec=spec, engine="dask", stdout=StringIO(), **small
        )

    assert list(TrainingRun.objects.values_list("status", "error")) == [("FAILED", message)] * 2
    assert champion_version() is None


def test_a_folder_is_refused_for_the_local_engine_and_nothing_is_written(
    data: tuple[Path, Path],
) -> None:
    with pytest.raises(CommandError, match="Training data not found"):
        call_command("train_model", data=data[1], stdout=StringIO(), **PARAMS)
    assert (TrainingRun.objects.count(), ModelVersion.objects.count()) == (0, 0)


def test_a_dask_run_on_a_folder_is_fingerprinted_part_by_part(
    data: tuple[Path, Path], settings: Any
) -> None:
    settings.KREDITAX_DASK_SCHEDULER = "tcp://127.0.0.1:8786"

    run = training_run_create(
        data_path=data[1], algorithm="xgboost", params={}, requested_by=None, engine="dask"
    )

    assert run.status == "QUEUED"
    assert run.data_sha256 == path_sha256(data[1])


def test_a_worker_lost_mid_training_fails_the_parquet_run_in_bounded_time(
    data: tuple[Path, Path], training_csv: Path, settings: Any
) -> None:
    call_command("train_model", data=training_csv, stdout=StringIO(), n_estimators=5, folds=0)
    champion = champion_version()
    assert champion is not None
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        settings.KREDITAX_DASK_SCHEDULER = cluster.scheduler_address
        pids = client.run(os.getpid)
        victim = pids[sorted(pids)[-1]]

        def kill_once_fitting() -> None:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not any(client.processing().values()):
                time.sleep(0.1)
            time.sleep(2.0)  # the parts read and counted: into encoding or the fit
            os.kill(victim, signal.SIGKILL)

        threading.Thread(target=kill_once_fitting, daemon=True).start()
        started = time.monotonic()
        with pytest.raises(CommandError, match="A Dask worker was lost during training"):
            call_command(
                "train_model",
                data=data[1],
                engine="dask",
                stdout=StringIO(),
                n_estimators=5000,
                max_depth=6,
                seed=1,
                folds=0,
            )
        assert time.monotonic() - started < 90
    run = TrainingRun.objects.get(engine="dask")
    assert run.status == "FAILED"
    assert run.error.startswith("A Dask worker was lost during training (2 → 1 workers)")
    assert run.model_version is not None
    assert run.model_version.status == ModelVersion.Status.FAILED
    assert champion_version() == champion


def test_a_lenders_weighted_parts_train_on_the_cluster_with_its_protected_fields(
    tmp_path: Path, cluster: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(1)
    income = rng.integers(1, 100, 800)
    frame = pd.DataFrame(
        {
            "income": income.astype(str),
            "region": rng.choice(["north", "south", "east"], 800),
            "sex": rng.choice(["F", "M"], 800),
            "exposure": rng.uniform(0.5, 2.0, 800).round(2).astype(str),
            "status": np.where(rng.random(800) < 0.6 - income / 200, "bad", "good"),
        }
    )
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({**SPEC, "weight": "exposure"}))
    parts = _write_parts(frame, tmp_path / "parts")
    settings.KREDITAX_DASK_SCHEDULER = cluster.scheduler_address
    _forbid_reading_here(monkeypatch)

    call_command("train_model", data=parts, spec=spec, engine="dask", stdout=StringIO(), **PARAMS)

    version = ModelVersion.objects.get()
    assert version.status == ModelVersion.Status.READY
    assert version.data_rows == 800
    assert version.metrics["data_read"] == "workers"
    assert list(version.metrics["fairness"]) == ["sex"]
    assert sum(g["count"] for g in version.metrics["fairness"]["sex"]) == version.metrics["n"]
    assert version.metrics["auc"] > 0.6


def test_a_row_that_cannot_be_encoded_is_refused_on_the_workers_as_locally(
    tmp_path: Path, cluster: Any, settings: Any
) -> None:
    frame = generate_applications(2_000, 6)
    frame.loc[1_700, "monthly_income"] = 0
    write_dataset(frame, tmp_path / "whole.parquet")
    parts = _write_parts(frame, tmp_path / "parts")
    small = {**PARAMS, "n_estimators": 5, "folds": 0}
    with pytest.raises(CommandError) as local:
        call_command("train_model", data=tmp_path / "whole.parquet", stdout=StringIO(), **small)
    settings.KREDITAX_DASK_SCHEDULER = cluster.scheduler_address

    with pytest.raises(CommandError) as spread:
        call_command("train_model", data=parts, engine="dask", stdout=StringIO(), **small)

    message = str(local.value).split(": ", 1)[1]
    assert message.startswith("The training data cannot be encoded: ")
    assert str(spread.value).split(": ", 1)[1] == message
    assert list(TrainingRun.objects.values_list("status", flat=True)) == ["FAILED"] * 2
    assert not any(Path(settings.KREDITAX_ARTIFACT_DIR).glob("*"))
    assert champion_version() is None
