"""LightGBM as the alternative algorithm: fitting, PDs, margins and TreeSHAP.

Same contract as the XGBoost path: encoded float32 rows in, PDs as the logistic of the
raw margin, ``pred_contrib`` columns per encoded column with the bias last (they add up to
the raw margin). Deterministic: fixed seeds, ``deterministic`` and row-wise histograms.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import lightgbm as lgb
import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from credit_ml.training import TrainConfig

MODEL_FILE = "model.txt"


def lgb_params(config: TrainConfig, monotone: tuple[int, ...] = ()) -> dict[str, Any]:
    """The parameters handed to ``lightgbm.train`` (rounds are ``n_estimators``)."""
    params: dict[str, Any] = {
        "objective": "binary",
        "max_depth": config.max_depth,
        "num_leaves": 2**config.max_depth,
        "learning_rate": config.learning_rate,
        "bagging_fraction": config.subsample,
        "bagging_freq": 1 if config.subsample < 1.0 else 0,
        "feature_fraction": config.colsample_bytree,
        "min_sum_hessian_in_leaf": config.min_child_weight,
        "lambda_l2": config.reg_lambda,
        "num_threads": config.n_threads,
        "seed": config.seed,
        "deterministic": True,
        "force_row_wise": True,
        "verbosity": -1,
    }
    if any(monotone):
        params["monotone_constraints"] = list(monotone)
    return params


def fit(
    x: npt.NDArray[np.float32],
    y: npt.ArrayLike,
    *,
    config: TrainConfig,
    monotone: tuple[int, ...] = (),
    weights: npt.NDArray[np.float32] | None = None,
) -> lgb.Booster:
    data = lgb.Dataset(x, label=np.asarray(y, dtype=np.float32), weight=weights, free_raw_data=True)
    return lgb.train(lgb_params(config, monotone), data, num_boost_round=config.n_estimators)


def margins(booster: lgb.Booster, x: np.ndarray, *, n_threads: int = 1) -> np.ndarray:
    """Raw scores (log-odds) of encoded rows, float64."""
    return np.asarray(
        booster.predict(_rows(x), raw_score=True, num_threads=n_threads), dtype=np.float64
    )


def predict_pd(booster: lgb.Booster, x: np.ndarray, *, n_threads: int = 1) -> np.ndarray:
    return np.asarray(booster.predict(_rows(x), num_threads=n_threads), dtype=np.float64)


def contributions(booster: lgb.Booster, x: np.ndarray, *, n_threads: int = 1) -> np.ndarray:
    """TreeSHAP (n, k + 1), bias last, as XGBoost's ``pred_contribs`` lays them out."""
    return np.asarray(
        booster.predict(_rows(x), pred_contrib=True, num_threads=n_threads), dtype=np.float64
    )


def load(model_text: bytes) -> lgb.Booster:
    return lgb.Booster(model_str=model_text.decode("utf-8"))


def save(booster: lgb.Booster, path: str) -> None:
    booster.save_model(path)


def _rows(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=np.float32).reshape(-1, np.shape(x)[-1])
