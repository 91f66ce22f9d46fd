"""Fitting boosters on a Dask cluster with ``xgboost.dask``.

``DaskFit`` fits one booster with ``xgboost.dask.train`` (the workers build their
histograms on their own rows and combine them through XGBoost's collective). Two callers:

* ``train_model(fit=DaskFit(...))`` (CSV input): the caller holds and encodes the rows;
  only the fit runs on the cluster, the encoded rows cut into ``partitions`` row blocks.
* ``credit_ml.dask_pipeline.train_on_cluster`` (Parquet input): the workers read, check,
  split and encode their own partitions; ``fit_arrays`` fits on the resulting Dask
  arrays, and ``watched`` runs the pipeline's other cluster work.

A distributed model is not bit-equal to a single-machine one; on the same data its
holdout AUC is close (tests hold it within 0.005).

Faults: the cluster work runs in a helper thread while this one watches the cluster; when
a worker present at the first watch leaves (killed, out of memory, network), or one piece
of work (a fit, a gather) outlives ``timeout`` seconds, ``DaskTrainingFailed`` is raised
within ``poll`` seconds with a readable message, whatever XGBoost's collective is still
waiting for.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import dask.array as da
import numpy as np
import numpy.typing as npt
import xgboost as xgb
from distributed import Client
from xgboost import dask as dxgb
from xgboost.collective import Config as CollectiveConfig

from credit_ml.datasets import DatasetError
from credit_ml.features import FeatureInputError
from credit_ml.preprocessing import Matrix
from credit_ml.training import DaskTrainingFailed, TrainConfig, TrainingDataError

T = TypeVar("T")
#: Errors of the data raised on a worker that reach the caller as they are: the same
#: refusals as on one machine.
READABLE = (TrainingDataError, DatasetError, FeatureInputError)

__all__ = ["DaskFit", "DaskTrainingFailed"]


@dataclass
class DaskFit:
    """Fits boosters on the cluster of ``client``; ``partitions``: row blocks per fit of
    in-memory rows (at least one per worker is useful). ``fits`` counts the boosters
    fitted. ``fit_arrays`` fits on Dask arrays already on the cluster (the Parquet path,
    ``credit_ml.dask_pipeline``); ``watched`` runs any other cluster work under the same
    watch for lost workers and the same ``timeout``."""

    client: Client
    partitions: int
    timeout: float = 4 * 3600.0
    poll: float = 0.5
    fits: int = field(default=0, init=False)
    workers: set[str] = field(default_factory=set, init=False)

    def __call__(
        self,
        x: Matrix,
        y: npt.ArrayLike,
        *,
        config: TrainConfig,
        monotone: tuple[int, ...] = (),
        weights: npt.NDArray[np.float32] | None = None,
    ) -> xgb.Booster:
        rows = max(int(np.ceil(len(x) / max(self.partitions, 1))), 1)
        data = da.from_array(np.asarray(x, dtype=np.float32), chunks=(rows, -1))
        label = da.from_array(np.asarray(y, dtype=np.float32), chunks=rows)
        weight = None if weights is None else da.from_array(weights, chunks=rows)
        return self.fit_arrays(data, label, weight, config=config, monotone=monotone)

    def fit_arrays(
        self,
        data: da.Array,
        label: da.Array,
        weight: da.Array | None,
        *,
        config: TrainConfig,
        monotone: tuple[int, ...] = (),
    ) -> xgb.Booster:
        """One booster fitted by ``xgboost.dask.train`` on the encoded rows ``data`` (n, k),
        0/1 ``label`` and optional ``weight`` (Dask arrays of the same row chunks)."""
        if config.algorithm != "xgboost":
            raise DaskTrainingFailed("The Dask engine trains XGBoost models only.")
        params = config.xgb_params(monotone)
        rounds = config.n_estimators

        def fit() -> xgb.Booster:
            matrix = dxgb.DaskDMatrix(self.client, data, label, weight=weight)
            coll = CollectiveConfig(timeout=max(int(self.poll * 20), 10))
            result = dxgb.train(self.client, params, matrix, num_boost_round=rounds, coll_cfg=coll)
            booster: xgb.Booster = result["booster"]
            return booster

        booster = self.watched(fit)
        self.fits += 1
        return booster

    def _lost(self, workers: set[str], *, wait: float) -> set[str]:
        """The workers of ``workers`` the scheduler no longer has, waiting up to ``wait``
        seconds for it to notice."""
        deadline = time.monotonic() + wait
        while True:
            lost = workers - set(self.client.scheduler_info(n_workers=-1)["workers"])
            if lost or time.monotonic() >= deadline:
                return lost
            time.sleep(self.poll / 5)

    def watched(self, work: Callable[[], T]) -> T:
        """``work()`` (cluster work: a fit, a gather) run in a helper thread while this one
        watches the cluster: ``DaskTrainingFailed`` within ``poll`` seconds when a worker
        present at this object's first watch leaves, or when the work outlives
        ``timeout`` seconds; the work's own error, with its first line, otherwise."""
        current = set(self.client.scheduler_info(n_workers=-1)["workers"])
        if not current:
            raise DaskTrainingFailed("The Dask cluster has no workers.")
        workers = self.workers = self.workers or current
        outcome: dict[str, Any] = {}

        def run() -> None:
            try:
                with self.client.as_current():  # xgboost.dask looks the client up
                    outcome["value"] = work()
            except BaseException as exc:  # reported to the watching thread
                outcome["error"] = exc

        thread = threading.Thread(target=run, name="kreditax-dask-fit", daemon=True)
        thread.start()
        started = time.monotonic()
        while thread.is_alive():
            thread.join(self.poll)
            lost = workers - set(self.client.scheduler_info(n_workers=-1)["workers"])
            if lost and thread.is_alive():
                raise DaskTrainingFailed(_lost_message(workers, lost))
            if time.monotonic() - started > self.timeout:
                raise DaskTrainingFailed(
                    f"Training on the Dask cluster exceeded {self.timeout:.0f} seconds."
                )
        if "error" in outcome:
            raise self.failure(workers, outcome["error"]) from outcome["error"]
        value: T = outcome["value"]
        return value

    def failure(self, workers: set[str], error: BaseException) -> Exception:
        """What to raise for the work's ``error``: a lost worker's message (it often shows
        first as the survivors' failed collective call, XGBoost's "Ring allreduce failed",
        so the scheduler gets a moment to notice), the error itself when it is one of the
        readable refusals of the data, else its first line."""
        lost = self._lost(workers, wait=max(2.0, self.poll * 5))
        if lost:
            return DaskTrainingFailed(_lost_message(workers, lost))
        if isinstance(error, READABLE) and isinstance(error, Exception):
            return error
        first_line = (str(error).strip().splitlines() or [""])[0]
        return DaskTrainingFailed(
            f"Training on the Dask cluster failed: {type(error).__name__}: {first_line}"
        )


def _lost_message(workers: set[str], lost: set[str]) -> str:
    return (
        f"A Dask worker was lost during training ({len(workers)} → "
        f"{len(workers) - len(lost)} workers); the run failed."
    )
