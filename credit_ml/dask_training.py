"""Fitting boosters on a Dask cluster with ``xgboost.dask``, for ``train_model(fit=...)``.

``DaskFit`` is the one step that differs from training on one machine: the encoded rows are
cut into ``partitions`` row blocks spread over the workers, and ``xgboost.dask.train``
fits one booster on them all (the workers build their histograms on their own rows and
combine them through XGBoost's collective). Validation, the holdout, encoding, metrics,
reports and fairness stay ``credit_ml.training``'s. A distributed model is not bit-equal to
a single-machine one; on the same data its holdout AUC is close (a test holds it within
0.005).

Faults: the training runs in a helper thread while this one watches the cluster; when a
worker that held rows leaves (killed, out of memory, network), or the fit outlives
``timeout`` seconds, ``DaskTrainingFailed`` is raised within ``poll`` seconds with a
readable message, whatever XGBoost's collective is still waiting for.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import dask.array as da
import numpy as np
import numpy.typing as npt
import xgboost as xgb
from distributed import Client
from xgboost import dask as dxgb
from xgboost.collective import Config as CollectiveConfig

from credit_ml.preprocessing import Matrix
from credit_ml.training import DaskTrainingFailed, TrainConfig

__all__ = ["DaskFit", "DaskTrainingFailed"]


@dataclass
class DaskFit:
    """Fits boosters on the cluster of ``client``; ``partitions``: row blocks per fit (at
    least one per worker is useful). ``fits`` counts the boosters fitted."""

    client: Client
    partitions: int
    timeout: float = 4 * 3600.0
    poll: float = 0.5
    fits: int = field(default=0, init=False)

    def __call__(
        self,
        x: Matrix,
        y: npt.ArrayLike,
        *,
        config: TrainConfig,
        monotone: tuple[int, ...] = (),
        weights: npt.NDArray[np.float32] | None = None,
    ) -> xgb.Booster:
        if config.algorithm != "xgboost":
            raise DaskTrainingFailed("The Dask engine trains XGBoost models only.")
        rows = max(int(np.ceil(len(x) / max(self.partitions, 1))), 1)
        data = da.from_array(np.asarray(x, dtype=np.float32), chunks=(rows, -1))
        label = da.from_array(np.asarray(y, dtype=np.float32), chunks=rows)
        weight = None if weights is None else da.from_array(weights, chunks=rows)
        params = config.xgb_params(monotone)
        booster = self._watched(data, label, weight, params, config.n_estimators)
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

    def _watched(
        self,
        data: da.Array,
        label: da.Array,
        weight: da.Array | None,
        params: dict[str, Any],
        rounds: int,
    ) -> xgb.Booster:
        workers = set(self.client.scheduler_info(n_workers=-1)["workers"])
        if not workers:
            raise DaskTrainingFailed("The Dask cluster has no workers.")
        outcome: dict[str, Any] = {}

        def train() -> None:
            try:
                with self.client.as_current():  # xgboost.dask looks the client up
                    outcome["booster"] = fit()
            except BaseException as exc:  # reported to the watching thread
                outcome["error"] = exc

        def fit() -> xgb.Booster:
            matrix = dxgb.DaskDMatrix(self.client, data, label, weight=weight)
            coll = CollectiveConfig(timeout=max(int(self.poll * 20), 10))
            result = dxgb.train(self.client, params, matrix, num_boost_round=rounds, coll_cfg=coll)
            booster: xgb.Booster = result["booster"]
            return booster

        thread = threading.Thread(target=train, name="kreditax-dask-fit", daemon=True)
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
            error = outcome["error"]
            # A lost worker often shows first as the survivors' failed collective call
            # (XGBoost's "Ring allreduce failed"): give the scheduler a moment to notice.
            lost = self._lost(workers, wait=max(2.0, self.poll * 5))
            if lost:
                raise DaskTrainingFailed(_lost_message(workers, lost)) from error
            first_line = (str(error).strip().splitlines() or [""])[0]
            raise DaskTrainingFailed(
                f"Training on the Dask cluster failed: {type(error).__name__}: {first_line}"
            ) from error
        booster: xgb.Booster = outcome["booster"]
        return booster


def _lost_message(workers: set[str], lost: set[str]) -> str:
    return (
        f"A Dask worker was lost during training ({len(workers)} → "
        f"{len(workers) - len(lost)} workers); the run failed."
    )
