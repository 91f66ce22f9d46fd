from __future__ import annotations

import re
from io import StringIO
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from django.core.management import CommandError, call_command

from credit_ml.datasets import write_dataset
from registry.models import ModelVersion
from registry.selectors import champion_version
from training.models import TrainingRun

pytestmark = pytest.mark.django_db

TINY = {"n_estimators": 10, "max_depth": 2, "seed": 1}


def test_train_model_prints_the_new_label_and_its_test_and_cv_auc(training_csv: Path) -> None:
    stdout = StringIO()
    call_command("train_model", data=training_csv, folds=2, stdout=stdout, **TINY)
    version = ModelVersion.objects.get()
    lines = stdout.getvalue().splitlines()
    assert lines[0] == version.label
    assert lines[1] == f"  test AUC    {version.metrics['auc']:.4f}"
    assert lines[2].startswith(f"  CV AUC      {version.metrics['cv_auc_mean']:.4f} ± ")
    assert lines[3] == "  champion    yes (first ready version)"
    assert version.status == ModelVersion.Status.READY
    assert (version.params["folds"], version.params["n_estimators"]) == (2, 10)


def test_train_model_with_the_cli_argument_names(training_csv: Path) -> None:
    call_command(
        "train_model",
        "--data",
        str(training_csv),
        "--algorithm",
        "xgboost",
        "--folds",
        "0",
        "--n-estimators",
        "5",
        "--max-depth",
        "2",
        stdout=StringIO(),
    )
    assert ModelVersion.objects.get().params["n_estimators"] == 5


def test_a_failed_training_exits_non_zero_and_leaves_a_failed_row(
    training_frame: pd.DataFrame, tmp_path: Path
) -> None:
    path = tmp_path / "one-class.csv"
    write_dataset(training_frame.assign(is_default=1), path)
    with pytest.raises(CommandError, match="failed"):
        call_command("train_model", data=path, folds=0, stdout=StringIO(), **TINY)
    assert ModelVersion.objects.get().status == ModelVersion.Status.FAILED
    assert champion_version() is None


def test_a_missing_file_exits_non_zero_and_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="Training data not found"):
        call_command("train_model", data=tmp_path / "missing.csv", stdout=StringIO())
    assert ModelVersion.objects.count() == 0


def test_async_training_queues_a_run_on_commit_and_it_runs_eagerly_in_tests(
    training_csv: Path, django_capture_on_commit_callbacks: Any
) -> None:
    stdout = StringIO()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        call_command(
            "train_model", data=training_csv, folds=0, run_async=True, stdout=stdout, **TINY
        )
    run = TrainingRun.objects.get()
    assert run.status == TrainingRun.Status.QUEUED
    assert ModelVersion.objects.count() == 0  # nothing runs before the commit
    assert len(callbacks) == 1
    assert stdout.getvalue() == f"Queued training run {run.pk} (task {run.celery_task_id})\n"
    assert re.fullmatch(r"[0-9a-f-]{36}", run.celery_task_id)

    callbacks[0]()

    run.refresh_from_db()
    version = ModelVersion.objects.get()
    assert run.status == TrainingRun.Status.SUCCEEDED
    assert run.model_version == version
    assert version.status == ModelVersion.Status.READY
    assert version.params["n_estimators"] == 10


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_async_training_with_a_failing_file_records_the_error_on_the_run(
    training_frame: pd.DataFrame, tmp_path: Path
) -> None:
    # Outside a test transaction, as in real use: on_commit runs the eager task at once.
    path = tmp_path / "no-target.csv"
    write_dataset(training_frame.drop(columns=["is_default"]), path)
    call_command("train_model", data=path, run_async=True, stdout=StringIO(), **TINY)
    run = TrainingRun.objects.get()
    assert run.status == TrainingRun.Status.FAILED
    assert run.error == "The target column 'is_default' is missing."
    assert ModelVersion.objects.get().status == ModelVersion.Status.FAILED


def test_async_training_refuses_unknown_parameters_before_queueing(
    training_csv: Path, django_capture_on_commit_callbacks: Any
) -> None:
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(CommandError, match="folds must be 0"),
    ):
        call_command("train_model", data=training_csv, folds=1, run_async=True)
    assert callbacks == []
    assert ModelVersion.objects.count() == 0
    assert TrainingRun.objects.count() == 0


def test_train_model_with_lightgbm_registers_a_lightgbm_version(training_csv: Path) -> None:
    stdout = StringIO()
    call_command(
        "train_model",
        "--data",
        str(training_csv),
        "--algorithm",
        "lightgbm",
        "--folds",
        "0",
        "--n-estimators",
        "5",
        "--max-depth",
        "2",
        stdout=stdout,
    )
    version = ModelVersion.objects.get()
    assert (version.algorithm, version.status) == ("lightgbm", ModelVersion.Status.READY)
    assert stdout.getvalue().splitlines()[0] == version.label
    assert (Path(version.artifact_path) / "model.txt").is_file()
