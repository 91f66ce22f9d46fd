from __future__ import annotations

import json
import re
from io import StringIO
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from credit_ml.datasets import write_dataset
from registry.models import ModelVersion
from registry.selectors import champion_version
from tests.training.conftest import background_runs, join_background_runs
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


def test_train_model_runs_the_training_run_path_in_this_process(training_csv: Path) -> None:
    """One orchestration: the synchronous command creates a run and executes it here."""
    call_command("train_model", data=training_csv, folds=0, stdout=StringIO(), **TINY)
    run = TrainingRun.objects.get()
    version = ModelVersion.objects.get()
    assert (run.status, run.stage, run.progress) == (TrainingRun.Status.SUCCEEDED, "done", 1.0)
    assert (run.model_version, run.celery_task_id, run.data_path) == (
        version,
        "",
        str(training_csv),
    )
    assert run.params == {"folds": 0, **TINY}
    assert run.started_at is not None
    assert run.finished_at is not None


def test_a_failed_synchronous_training_fails_its_run_too(
    training_frame: pd.DataFrame, tmp_path: Path
) -> None:
    path = tmp_path / "one-class.csv"
    write_dataset(training_frame.assign(is_default=1), path)
    with pytest.raises(CommandError, match="failed"):
        call_command("train_model", data=path, folds=0, stdout=StringIO(), **TINY)
    run = TrainingRun.objects.get()
    assert (run.status, run.model_version) == (
        TrainingRun.Status.FAILED,
        ModelVersion.objects.get(),
    )
    assert run.error == "The target 'is_default' needs both defaults (1) and goods (0)."


def test_train_model_turns_target_rates_into_cut_offs_on_the_holdout(training_csv: Path) -> None:
    call_command(
        "train_model",
        data=training_csv,
        folds=0,
        approve_rate=0.6,
        review_rate=0.15,
        stdout=StringIO(),
        **TINY,
    )
    version = ModelVersion.objects.get()
    bands = version.metrics["decision_bands"]
    assert bands["chosen_from"] == "target rates"
    assert bands["target_rates"] == {"approve_rate": 0.6, "review_rate": 0.15}
    assert [band["share"] for band in bands["bands"]] == pytest.approx([0.6, 0.15, 0.25], abs=0.01)
    manifest = json.loads((Path(version.artifact_path) / "manifest.json").read_text())
    assert manifest["thresholds"] == {
        "approve_below": bands["approve_below"],
        "reject_from": bands["reject_from"],
    }
    assert version.params["target_rates"] == {"approve_rate": 0.6, "review_rate": 0.15}


def test_train_model_takes_pd_cut_offs(training_csv: Path) -> None:
    call_command(
        "train_model",
        data=training_csv,
        folds=0,
        approve_below=0.05,
        reject_from=0.3,
        stdout=StringIO(),
        **TINY,
    )
    version = ModelVersion.objects.get()
    manifest = json.loads((Path(version.artifact_path) / "manifest.json").read_text())
    assert manifest["thresholds"] == {"approve_below": 0.05, "reject_from": 0.3}
    assert version.metrics["decision_bands"]["chosen_from"] == "cut-offs"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"approve_rate": 0.6}, "Give both --approve-rate and --review-rate."),
        ({"reject_from": 0.3}, "Give both --approve-below and --reject-from."),
        (
            {"approve_rate": 0.6, "review_rate": 0.15, "approve_below": 0.1, "reject_from": 0.2},
            "not both",
        ),
        ({"approve_rate": 0.9, "review_rate": 0.2}, "together must be at most 1"),
        ({"approve_below": 0.3, "reject_from": 0.2}, "approve_below <= reject_from"),
    ],
)
def test_bad_thresholds_are_refused_and_nothing_is_written(
    training_csv: Path, options: dict[str, float], message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("train_model", data=training_csv, stdout=StringIO(), **options)
    assert (ModelVersion.objects.count(), TrainingRun.objects.count()) == (0, 0)


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


@pytest.mark.django_db(transaction=True)
def test_async_training_queues_a_run_on_commit_and_it_runs_in_the_background_without_a_broker(
    training_csv: Path,
) -> None:
    stdout = StringIO()
    with transaction.atomic():
        call_command(
            "train_model", data=training_csv, folds=0, run_async=True, stdout=stdout, **TINY
        )
        run = TrainingRun.objects.get()
        assert run.status == TrainingRun.Status.QUEUED
        assert background_runs() == []  # nothing runs before the commit
    # After it, a thread trains: the command does not train inside the enqueue.
    assert [thread.name for thread in background_runs()] == [f"training-run-{run.pk}"]
    assert stdout.getvalue() == f"Queued training run {run.pk} (task {run.celery_task_id})\n"
    assert re.fullmatch(r"[0-9a-f-]{36}", run.celery_task_id)

    join_background_runs()

    run.refresh_from_db()
    version = ModelVersion.objects.get()
    assert run.status == TrainingRun.Status.SUCCEEDED
    assert run.model_version == version
    assert version.status == ModelVersion.Status.READY
    assert version.params["n_estimators"] == 10


@pytest.mark.django_db(transaction=True)
def test_async_training_with_a_failing_file_records_the_error_on_the_run(
    training_frame: pd.DataFrame, tmp_path: Path
) -> None:
    path = tmp_path / "no-target.csv"
    write_dataset(training_frame.drop(columns=["is_default"]), path)
    call_command("train_model", data=path, run_async=True, stdout=StringIO(), **TINY)
    join_background_runs()
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
