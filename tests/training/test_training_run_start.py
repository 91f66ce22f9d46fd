from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from credit_ml.datasets import file_sha256
from registry.models import ModelVersion
from tests.training.conftest import TINY_PARAMS, background_runs, join_background_runs
from training.models import TrainingRun
from training.runs import training_run_start
from training.services import TrainingRefused

pytestmark = pytest.mark.django_db


def test_a_run_is_queued_with_its_file_hash_and_enqueued_only_on_commit(
    training_csv: Path, django_capture_on_commit_callbacks: Any
) -> None:
    user = User.objects.create_user("ds")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = training_run_start(
            data_path=training_csv, algorithm="xgboost", params=TINY_PARAMS, requested_by=user
        )
    run.refresh_from_db()
    assert run.status == TrainingRun.Status.QUEUED
    assert run.progress == 0.0
    assert run.params == TINY_PARAMS
    assert run.data_path == str(training_csv)
    assert run.data_sha256 == file_sha256(training_csv)
    assert run.requested_by == user
    assert len(run.celery_task_id) == 36
    assert len(callbacks) == 1
    assert ModelVersion.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_without_a_broker_the_committed_run_executes_in_a_background_thread_and_succeeds(
    training_csv: Path,
) -> None:
    run = training_run_start(
        data_path=training_csv, algorithm="xgboost", params=TINY_PARAMS, requested_by=None
    )
    assert [thread.name for thread in background_runs()] == [f"training-run-{run.pk}"]
    join_background_runs()
    run.refresh_from_db()
    assert run.status == TrainingRun.Status.SUCCEEDED
    assert run.stage == "done"
    assert run.progress == 1.0
    assert run.model_version is not None
    assert run.model_version.status == ModelVersion.Status.READY


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"algorithm": "catboost"}, "Unknown algorithm 'catboost'"),
        ({"params": {"trees": 3}}, "Unknown training parameter(s): trees."),
        ({"params": {"folds": 1}}, "folds must be 0"),
        ({"data_path": Path("/nonexistent/x.csv")}, "Training data not found"),
        ({"spec_path": Path("/nonexistent/spec.yaml")}, "Dataset spec not found"),
    ],
)
def test_a_bad_request_is_refused_and_nothing_is_written(
    training_csv: Path,
    django_capture_on_commit_callbacks: Any,
    change: dict[str, Any],
    message: str,
) -> None:
    arguments: dict[str, Any] = {
        "data_path": training_csv,
        "algorithm": "xgboost",
        "params": TINY_PARAMS,
        "requested_by": None,
        **change,
    }
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(TrainingRefused, match=message.replace("(", r"\(").replace(")", r"\)")),
    ):
        training_run_start(**arguments)
    assert callbacks == []
    assert TrainingRun.objects.count() == 0
    assert ModelVersion.objects.count() == 0
