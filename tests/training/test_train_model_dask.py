"""``train_model --engine dask``: the same training run, its boosters fitted by xgboost.dask
on a LocalCluster started here; a lost worker fails the run and leaves the champion."""

from __future__ import annotations

import os
import signal
import threading
import time
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from registry.models import ModelVersion
from registry.selectors import champion_version
from training.models import TrainingRun

distributed = pytest.importorskip("distributed", reason="needs dask: pip install dask[distributed]")

pytestmark = pytest.mark.django_db

TINY = {"n_estimators": 10, "max_depth": 2, "seed": 1, "folds": 0}


def test_a_dask_run_records_its_engine_cluster_and_partitioning(
    training_csv: Path, settings: Any
) -> None:
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        settings.KREDITAX_DASK_SCHEDULER = cluster.scheduler_address
        call_command("train_model", data=training_csv, engine="dask", stdout=StringIO(), **TINY)

    run = TrainingRun.objects.get()
    version = ModelVersion.objects.get()
    assert (run.status, run.engine, run.model_version) == ("SUCCEEDED", "dask", version)
    assert version.status == ModelVersion.Status.READY
    assert version.metrics["engine"] == "dask"
    assert version.metrics["cluster"] == {"workers": 2, "threads": 2}
    assert version.metrics["partitions"] == 4
    assert 0.5 < version.metrics["auc"] <= 1.0
    assert champion_version() == version  # the first READY version, as on one machine


def test_the_dask_engine_without_a_scheduler_is_refused_and_nothing_is_written(
    training_csv: Path, settings: Any
) -> None:
    settings.KREDITAX_DASK_SCHEDULER = ""
    with pytest.raises(CommandError, match="The Dask engine needs KREDITAX_DASK_SCHEDULER"):
        call_command("train_model", data=training_csv, engine="dask", stdout=StringIO(), **TINY)
    assert (TrainingRun.objects.count(), ModelVersion.objects.count()) == (0, 0)


def test_a_worker_lost_mid_training_fails_the_run_in_bounded_time_and_keeps_the_champion(
    training_csv: Path, settings: Any
) -> None:
    call_command("train_model", data=training_csv, stdout=StringIO(), **TINY)
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

        def kill_once_training() -> None:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not any(client.processing().values()):
                time.sleep(0.1)
            time.sleep(1.0)
            os.kill(victim, signal.SIGKILL)

        threading.Thread(target=kill_once_training, daemon=True).start()
        started = time.monotonic()
        with pytest.raises(CommandError, match="A Dask worker was lost during training"):
            call_command(
                "train_model",
                data=training_csv,
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
