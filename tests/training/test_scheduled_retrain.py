from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from training.models import TrainingRun
from training.runs import newest_data_file
from training.tasks import scheduled_retrain


def test_the_newest_data_file_of_the_folder_is_chosen(tmp_path: Path) -> None:
    for age, name in [(300, "2026-09.csv"), (100, "2026-10.parquet"), (0, "notes.txt")]:
        path = tmp_path / name
        path.write_text("x")
        os.utime(path, (1_700_000_000 - age, 1_700_000_000 - age))
    assert newest_data_file(folder=tmp_path) == tmp_path / "2026-10.parquet"
    assert newest_data_file(folder=tmp_path / "missing") is None


@pytest.mark.django_db
def test_the_scheduled_retrain_queues_a_run_on_the_newest_file(
    settings: Any, tmp_path: Path, training_csv: Path, django_capture_on_commit_callbacks: Any
) -> None:
    settings.KREDITAX_RETRAIN_DIR = tmp_path
    (tmp_path / "latest.csv").write_bytes(training_csv.read_bytes())
    with django_capture_on_commit_callbacks(execute=False):
        run_id = scheduled_retrain.apply().get()
    run = TrainingRun.objects.get()
    assert run_id == run.pk
    assert (run.status, run.data_path, run.requested_by) == (
        "QUEUED",
        str(tmp_path / "latest.csv"),
        None,
    )


@pytest.mark.django_db
def test_the_scheduled_retrain_does_nothing_without_a_file(settings: Any, tmp_path: Path) -> None:
    settings.KREDITAX_RETRAIN_DIR = tmp_path
    assert scheduled_retrain.apply().get() is None
    assert TrainingRun.objects.count() == 0
