"""Training on a Dask LocalCluster of two workers: the same pipeline, its own booster, an AUC
within 0.005 of the single-machine model's, and a lost worker fails it within bounded time."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pandas as pd
import pytest
import xgboost as xgb

from credit_ml.schema import INDONESIAN_SCHEMA
from credit_ml.synthetic import generate_applications
from credit_ml.training import TrainConfig, train_model

distributed = pytest.importorskip("distributed", reason="needs dask: pip install dask[distributed]")
from credit_ml.dask_training import DaskFit, DaskTrainingFailed  # noqa: E402

if TYPE_CHECKING:
    from distributed import Client

CONFIG = TrainConfig(n_estimators=120, max_depth=4, folds=2, seed=3, n_threads=1)


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return generate_applications(20_000, 21)


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def test_the_distributed_model_is_its_own_with_a_holdout_auc_within_0005(
    client: Client, frame: pd.DataFrame
) -> None:
    fit = DaskFit(client=client, partitions=4)

    local = train_model(frame, schema=INDONESIAN_SCHEMA, config=CONFIG)
    spread = train_model(frame, schema=INDONESIAN_SCHEMA, config=CONFIG, fit=fit)

    assert fit.fits == CONFIG.folds + 1  # each fold and the final booster, on the cluster
    assert spread.n_test == local.n_test == 4_000
    assert (spread.y_holdout == local.y_holdout).all()  # the same stratified holdout
    assert isinstance(spread.booster, xgb.Booster)
    assert spread.booster.num_boosted_rounds() == 120
    assert abs(spread.metrics["auc"] - local.metrics["auc"]) <= 0.005
    assert len(spread.metrics["cv_auc_folds"]) == 2
    assert spread.fairness.keys() == local.fairness.keys()


def test_a_worker_lost_mid_training_fails_it_with_a_clear_message_in_bounded_time(
    frame: pd.DataFrame,
) -> None:
    config = TrainConfig(n_estimators=5000, max_depth=6, folds=0, seed=3, n_threads=1)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        pids = client.run(os.getpid)
        victim = pids[sorted(pids)[-1]]

        def kill_once_training() -> None:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not any(client.processing().values()):
                time.sleep(0.1)
            time.sleep(1.0)
            os.kill(victim, signal.SIGKILL)

        killer = threading.Thread(target=kill_once_training, daemon=True)
        killer.start()
        started = time.monotonic()
        with pytest.raises(DaskTrainingFailed, match=r"A Dask worker was lost during training"):
            train_model(
                frame,
                schema=INDONESIAN_SCHEMA,
                config=config,
                fit=DaskFit(client=client, partitions=2),
            )
        assert time.monotonic() - started < 90
        killer.join(5)
