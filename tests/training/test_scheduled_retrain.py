from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from celery.schedules import crontab

from training.beat import beat_schedule, parse_cron
from training.models import TrainingRun
from training.runs import newest_data_file
from training.tasks import scheduled_retrain


def test_the_beat_schedule_reaps_every_minute_and_retrains_on_the_cron() -> None:
    schedule = beat_schedule(retrain_cron="0 2 1 * *")
    assert schedule["training-reap-stale-runs"] == {
        "task": "training.tasks.reap_stale_training_runs",
        "schedule": 60.0,
    }
    retrain = schedule["training-scheduled-retrain"]
    assert retrain["task"] == "training.tasks.scheduled_retrain"
    assert retrain["schedule"] == crontab(minute="0", hour="2", day_of_month="1")


def test_no_cron_means_no_scheduled_retrain() -> None:
    assert list(beat_schedule(retrain_cron="")) == ["training-reap-stale-runs"]


def test_a_cron_without_five_fields_is_refused() -> None:
    with pytest.raises(ValueError, match="five fields"):
        parse_cron("0 2 1 *")


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
    settings.KREDITAX_RETRAIN_DIR = str(tmp_path)
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
    settings.KREDITAX_RETRAIN_DIR = str(tmp_path)
    assert scheduled_retrain.apply().get() is None
    assert TrainingRun.objects.count() == 0
