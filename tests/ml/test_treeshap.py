"""Exact TreeSHAP from per-leaf tables against the libraries' own TreeSHAP.

Generated rows mix continuous columns, 0/1 columns laid out as the encoder's one-hot
blocks, and missing values (NaN) in every column, so that splits route rows down their
learnt default branches. XGBoost computes TreeSHAP in float32: the tables (float64) equal
it within 1e-6 absolute where |value| <= 1 and 1e-6 relative above (a float32 ulp at 2 is
2.4e-7; the sum over hundreds of trees rounds a few ulps). That the remaining difference is
XGBoost's rounding, not ours, is shown by shap's own float64 TreeSHAP (independent of
XGBoost), which the tables equal ten times more closely than XGBoost does (within 5e-8);
and LightGBM, which computes in float64 from the same formula: the tables equal it within
1e-9 (observed 1e-14).
"""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
import pytest
import shap
import xgboost as xgb

from credit_ml import treeshap
from credit_ml.scoring import ModelInput, ScoringModel
from credit_ml.treeshap import TreeTables

ROWS = 1_500
COLUMNS = 12
ROUNDS = 120


def _data(seed: int) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(ROWS, COLUMNS)).astype(np.float32)
    x[:, 6:9] = np.eye(3, dtype=np.float32)[rng.integers(0, 3, ROWS)]  # a one-hot block
    x[:, 9] = rng.integers(0, 5, ROWS)  # an ordinal index
    x[rng.random(x.shape) < 0.12] = np.nan
    margin = np.nan_to_num(x[:, 0]) - np.nan_to_num(x[:, 1]) * np.nan_to_num(x[:, 6])
    y = (rng.random(ROWS) < 1 / (1 + np.exp(-margin + 1.5))).astype(np.float32)
    return x, y


def _xgb(depth: int, seed: int = 1) -> tuple[xgb.Booster, npt.NDArray[np.float32]]:
    x, y = _data(seed)
    params = {
        "objective": "binary:logistic",
        "tree_method": "hist",
        "max_depth": depth,
        "eta": 0.08,
        "subsample": 0.8,
        "colsample_bytree": 0.8,
        "min_child_weight": 2.0,
        "nthread": 1,
        "seed": seed,
    }
    return xgb.train(params, xgb.DMatrix(x, label=y), num_boost_round=ROUNDS), x


def _lgb(depth: int, seed: int = 1, **extra: object) -> tuple[lgb.Booster, npt.NDArray[np.float32]]:
    x, y = _data(seed)
    params = {
        "objective": "binary",
        "max_depth": depth,
        "num_leaves": 2**depth,
        "learning_rate": 0.08,
        "bagging_fraction": 0.8,
        "bagging_freq": 1,
        "feature_fraction": 0.8,
        "min_data_in_leaf": 5,
        "num_threads": 1,
        "seed": seed,
        "deterministic": True,
        "force_row_wise": True,
        "verbosity": -1,
        **extra,
    }
    return lgb.train(params, lgb.Dataset(x, label=y), num_boost_round=ROUNDS), x


def _within_float32(ours: npt.NDArray[np.float64], stock: npt.NDArray[np.float32]) -> None:
    error = np.abs(ours - stock.astype(np.float64))
    assert np.all(error <= 1e-6 * np.maximum(1.0, np.abs(ours)))


@pytest.mark.parametrize("depth", [2, 3, 4, 5, 6])
def test_tables_equal_xgboost_pred_contribs_on_every_row(depth: int) -> None:
    booster, x = _xgb(depth)
    tables = TreeTables.build(booster, COLUMNS)
    assert tables is not None
    assert tables.depth == depth
    ours = tables.contributions(x)
    stock = booster.predict(xgb.DMatrix(x), pred_contribs=True)
    assert ours.shape == stock.shape == (ROWS, COLUMNS + 1)
    _within_float32(ours, stock)
    assert np.all(ours[:, -1] == tables.bias)
    assert abs(tables.bias - float(stock[0, -1])) < 1e-6
    margins = booster.predict(xgb.DMatrix(x), output_margin=True)
    assert np.max(np.abs(ours.sum(axis=1) - margins)) < 1e-5
    explained, our_margins = tables.explain(x)
    assert np.array_equal(explained, ours)
    assert our_margins.dtype == np.float32
    assert np.array_equal(our_margins, margins)  # bit for bit: the PDs stay XGBoost's
    # ``ScoringModel.probabilities`` (re-deciding without TreeSHAP) reads the stock
    # predictor's margins: the same, bit for bit.
    stock_margins = booster.inplace_predict(x.astype(np.float32), predict_type="margin")
    assert np.array_equal(stock_margins, our_margins)


@pytest.mark.parametrize("depth", [2, 4, 6])
def test_tables_equal_shaps_own_float64_tree_shap_on_xgboost_trees(depth: int) -> None:
    booster, x = _xgb(depth, seed=2)
    tables = TreeTables.build(booster, COLUMNS)
    assert tables is not None
    explainer = shap.TreeExplainer(booster)
    explainer.model.model_type = "internal"  # shap's own TreeSHAP, not XGBoost's
    rows = x[:300]
    reference = explainer.shap_values(rows.astype(np.float64), check_additivity=False)
    ours = tables.contributions(rows)
    # shap's own parse differs from XGBoost's prediction by up to ~1e-6 (float32); from
    # the tables by ~1e-8 (it rewrites the thresholds and sums the cover in its own way).
    assert np.max(np.abs(ours[:, :-1] - reference)) < 5e-8
    stock = booster.predict(xgb.DMatrix(rows), pred_contribs=True)[:, :-1]
    assert np.max(np.abs(ours[:, :-1] - reference)) < np.max(np.abs(stock - reference)) / 10


@pytest.mark.parametrize("depth", [2, 3, 4, 5, 6])
def test_tables_equal_lightgbm_pred_contrib_on_every_row(depth: int) -> None:
    booster, x = _lgb(depth)
    tables = TreeTables.build(booster, COLUMNS)
    assert tables is not None
    assert tables.depth == depth
    ours = tables.contributions(x)
    stock = np.asarray(booster.predict(x, pred_contrib=True, num_threads=1))
    assert ours.shape == stock.shape == (ROWS, COLUMNS + 1)
    assert np.max(np.abs(ours - stock)) < 1e-9
    margins = np.asarray(booster.predict(x, raw_score=True, num_threads=1))
    assert np.array_equal(tables.explain(x)[1], margins)


def test_tables_follow_lightgbms_zero_as_missing_rule() -> None:
    booster, x = _lgb(4, seed=3, zero_as_missing=True)
    x = x.copy()
    x[::7, 0] = 0.0
    tables = TreeTables.build(booster, COLUMNS)
    assert tables is not None
    assert treeshap._MISSING_ZERO in set(tables.split_missing.tolist())
    stock = booster.predict(x, pred_contrib=True, num_threads=1)
    assert np.max(np.abs(tables.contributions(x) - stock)) < 1e-9
    assert np.array_equal(tables.explain(x)[1], booster.predict(x, raw_score=True))


def test_tables_follow_lightgbms_no_missing_rule() -> None:
    booster, x = _lgb(3, seed=4, use_missing=False)
    tables = TreeTables.build(booster, COLUMNS)
    assert tables is not None
    assert set(tables.split_missing.tolist()) == {treeshap._MISSING_NONE}
    stock = booster.predict(x, pred_contrib=True, num_threads=1)
    assert np.max(np.abs(tables.contributions(x) - stock)) < 1e-9
    assert np.array_equal(tables.explain(x)[1], booster.predict(x, raw_score=True))


def test_a_row_of_missing_values_takes_every_default_branch() -> None:
    booster, _ = _xgb(4)
    tables = TreeTables.build(booster, COLUMNS)
    assert tables is not None
    row = np.full((1, COLUMNS), np.nan, dtype=np.float32)
    _within_float32(
        tables.contributions(row), booster.predict(xgb.DMatrix(row), pred_contribs=True)
    )
    margin = booster.predict(xgb.DMatrix(row), output_margin=True)
    assert np.array_equal(tables.explain(row)[1], margin)


@pytest.mark.parametrize("library", ["xgboost", "lightgbm"])
def test_deeper_trees_get_no_tables_and_the_model_uses_the_stock_call(
    library: str, scoring_model: ScoringModel
) -> None:
    booster: xgb.Booster | lgb.Booster
    booster, x = _xgb(8) if library == "xgboost" else _lgb(8)
    assert TreeTables.build(booster, COLUMNS) is None
    model = ScoringModel.__new__(ScoringModel)
    model.booster, model.n_threads = booster, 1
    model.__dict__["tree_tables"] = None
    matrix = xgb.DMatrix(x) if library == "xgboost" else None
    got = model.contributions(ModelInput(x, matrix))
    if isinstance(booster, xgb.Booster):
        stock = booster.predict(xgb.DMatrix(x), pred_contribs=True)
    else:
        stock = np.asarray(booster.predict(x, pred_contrib=True))
    assert np.array_equal(got, stock)


def test_tables_over_the_size_limit_are_not_built(monkeypatch: pytest.MonkeyPatch) -> None:
    booster, _ = _xgb(4)
    tables = TreeTables.build(booster, COLUMNS)
    assert tables is not None
    size = tables.table.nbytes
    monkeypatch.setattr(treeshap, "MAX_TABLE_BYTES", size * 2)
    assert TreeTables.build(booster, COLUMNS) is not None
    monkeypatch.setattr(treeshap, "MAX_TABLE_BYTES", size // 4)
    assert TreeTables.build(booster, COLUMNS) is None


def test_categorical_splits_get_no_tables() -> None:
    rng = np.random.default_rng(5)
    x = rng.integers(0, 4, size=(400, 2)).astype(np.float32)
    y = (x[:, 0] == 2).astype(np.float32)
    matrix = xgb.DMatrix(x, label=y, feature_types=["c", "q"], enable_categorical=True)
    booster = xgb.train({"objective": "binary:logistic", "max_depth": 3}, matrix, 5)
    assert TreeTables.build(booster, 2) is None


def test_the_product_model_is_loaded_with_tables_that_equal_pred_contribs(
    scoring_model: ScoringModel, applications: object, to_records: object
) -> None:
    tables = scoring_model.__dict__.get("tree_tables")
    assert isinstance(tables, TreeTables)  # built by load_artifact, before any request
    booster = scoring_model.booster
    assert isinstance(booster, xgb.Booster)
    records = to_records(applications.head(400))  # type: ignore[attr-defined,operator]
    rows = scoring_model.encoder.encode_many(records)
    assert np.isnan(rows).any()
    stock = booster.predict(xgb.DMatrix(rows), pred_contribs=True)
    data = scoring_model.model_input(rows)
    assert data.matrix is None  # the tables need no DMatrix
    ours = scoring_model.contributions(data)
    _within_float32(np.asarray(ours, dtype=np.float64), stock)
    scored = scoring_model.score_input(data)
    margins = booster.predict(xgb.DMatrix(rows), output_margin=True)
    assert np.array_equal(scored.margin, margins)
