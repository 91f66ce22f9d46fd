from __future__ import annotations

import dataclasses
import re

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb

from credit_ml import training
from credit_ml.preprocessing import Encoder
from credit_ml.schema import INDONESIAN_SCHEMA
from credit_ml.synthetic import generate_applications
from credit_ml.training import (
    TrainConfig,
    TrainingDataError,
    TrainingResult,
    predict_pd,
    train_model,
)

#: Even smaller than the session config: for tests that train their own model.
TINY = TrainConfig(n_estimators=5, max_depth=2, folds=3, seed=3)


def _train(frame: pd.DataFrame, config: TrainConfig = TINY) -> TrainingResult:
    result = train_model(frame, schema=INDONESIAN_SCHEMA, config=config)
    assert isinstance(result.booster, xgb.Booster)  # XGBoost is the default algorithm
    return result


def _xgb(result: TrainingResult) -> xgb.Booster:
    assert isinstance(result.booster, xgb.Booster)
    return result.booster


def test_training_reports_holdout_and_cross_validation_metrics(
    trained: TrainingResult, applications: pd.DataFrame
) -> None:
    metrics = trained.metrics
    assert (trained.n_rows, trained.n_train, trained.n_test) == (3_000, 2_400, 600)
    assert metrics["n"] == 600
    assert metrics["gini"] == pytest.approx(2 * metrics["auc"] - 1, abs=1e-15)
    assert 0.7 < metrics["auc"] < 0.95  # the generator's ceiling is about 0.83
    assert len(metrics["cv_auc_folds"]) == 3
    assert metrics["cv_auc_mean"] == pytest.approx(np.mean(metrics["cv_auc_folds"]), abs=1e-15)
    assert metrics["cv_auc_std"] == pytest.approx(np.std(metrics["cv_auc_folds"]), abs=1e-15)
    assert trained.default_rate == applications["is_default"].mean()


def test_the_holdout_arrays_line_up_with_the_frame(
    trained: TrainingResult, applications: pd.DataFrame
) -> None:
    y = applications["is_default"].to_numpy()[trained.test_index]
    assert trained.y_holdout.tolist() == y.tolist()
    assert trained.pd_holdout.shape == (600,)
    assert trained.y_holdout.mean() == pytest.approx(trained.default_rate, abs=0.01)  # stratified
    pipeline = predict_pd(
        trained.booster, trained.encoder.transform(applications.iloc[trained.test_index])
    )
    assert np.array_equal(pipeline, trained.pd_holdout)


def test_calibration_covers_the_holdout_in_ten_deciles(trained: TrainingResult) -> None:
    assert [row["decile"] for row in trained.calibration] == list(range(1, 11))
    assert sum(row["n"] for row in trained.calibration) == 600


def test_the_same_frame_and_seed_give_the_same_model_and_metrics(
    applications: pd.DataFrame,
) -> None:
    first, second = _train(applications), _train(applications)
    assert first.metrics == second.metrics
    assert _xgb(first).save_raw("ubj") == _xgb(second).save_raw("ubj")


def test_a_different_seed_gives_a_different_model(applications: pd.DataFrame) -> None:
    first = _train(applications, dataclasses.replace(TINY, folds=0))
    second = _train(applications, dataclasses.replace(TINY, folds=0, seed=4))
    assert _xgb(first).save_raw("ubj") != _xgb(second).save_raw("ubj")


def test_the_encoder_is_fitted_inside_each_fold_on_that_folds_rows_only(
    applications: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = applications.copy()
    frame["housing_type"] = frame["housing_type"].replace("COMPANY", "OWN")
    seen = _spy_on_encoder_fits(frame, monkeypatch)
    final_rows = seen[-1][0]
    lone = min(final_rows)  # a training row: give it a category no other row has
    frame.loc[lone, "housing_type"] = "COMPANY"
    seen = _spy_on_encoder_fits(frame, monkeypatch)

    assert len(seen) == 4  # three folds, then the final fit
    assert seen[-1][0] == final_rows  # the holdout split does not depend on the features
    assert final_rows.isdisjoint(set(range(3_000)) - final_rows)
    validation = [final_rows - rows for rows, _ in seen[:-1]]
    assert set().union(*validation) == final_rows
    assert sum(len(v) for v in validation) == len(final_rows)  # disjoint folds
    for rows, encoder in seen:
        expected = [
            h
            for h in ("OWN", "MORTGAGE", "FAMILY", "RENT", "COMPANY")
            if h in set(frame.loc[sorted(rows), "housing_type"])
        ]
        assert _housing(encoder) == expected
    knows_company = [_housing(encoder).count("COMPANY") for _, encoder in seen]
    assert knows_company == [1 if lone not in v else 0 for v in validation] + [1]
    assert knows_company[:-1].count(0) == 1  # the fold that validates on the lone row


def _spy_on_encoder_fits(
    frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> list[tuple[set[int], Encoder]]:
    seen: list[tuple[set[int], Encoder]] = []
    real = training.fit_encoder  # type: ignore[attr-defined,unused-ignore]

    def spy(rows: pd.DataFrame, **kwargs: object) -> Encoder:
        encoder = real(rows, **kwargs)  # type: ignore[arg-type]
        seen.append((set(rows.index.tolist()), encoder))
        return encoder

    monkeypatch.setattr(training, "fit_encoder", spy)
    _train(frame)
    return seen


def _housing(encoder: Encoder) -> list[str]:
    return [c.split("=", 1)[1] for c in encoder.columns if c.startswith("housing_type=")]


def test_monotone_constraints_keep_more_delinquencies_from_lowering_the_risk(
    trained: TrainingResult, applications: pd.DataFrame
) -> None:
    rows = trained.encoder.transform(applications.iloc[:100])
    column = trained.encoder.columns.index("past_delinquencies")
    pds = []
    for count in range(8):
        rows[:, column] = count
        pds.append(predict_pd(trained.booster, rows))
    assert np.all(np.diff(np.vstack(pds), axis=0) >= 0)
    assert trained.monotone_constraints == trained.encoder.monotone_constraints(INDONESIAN_SCHEMA)


def test_without_monotone_constraints_none_are_recorded(applications: pd.DataFrame) -> None:
    result = _train(applications, dataclasses.replace(TINY, folds=0, use_monotone=False))
    assert set(result.monotone_constraints) == {0}
    assert _booster_constraints(_xgb(result)) == "()"


def test_the_booster_is_trained_with_the_encoders_constraints(trained: TrainingResult) -> None:
    expected = "(" + ",".join(map(str, trained.monotone_constraints)) + ")"
    assert _booster_constraints(_xgb(trained)) == expected


def _booster_constraints(booster: xgb.Booster) -> str:
    match = re.search(r'"monotone_constraints":"([^"]*)"', booster.save_config())
    assert match is not None
    return match.group(1)


def test_folds_zero_skips_cross_validation(applications: pd.DataFrame) -> None:
    result = _train(applications, dataclasses.replace(TINY, folds=0))
    assert result.metrics["cv_auc_mean"] is None
    assert result.metrics["cv_auc_std"] is None
    assert result.metrics["cv_auc_folds"] == []


def test_progress_is_reported_in_order_and_ends_at_one(applications: pd.DataFrame) -> None:
    calls: list[tuple[str, float]] = []
    train_model(
        applications,
        schema=INDONESIAN_SCHEMA,
        config=TINY,
        progress=lambda s, f: calls.append((s, f)),
    )
    assert [stage for stage, _ in calls] == [
        "validating data",
        "cross-validation fold 1/3",
        "cross-validation fold 2/3",
        "cross-validation fold 3/3",
        "training final model",
        "evaluating on the holdout",
        "done",
    ]
    fractions = [fraction for _, fraction in calls]
    assert fractions == sorted(fractions)
    assert fractions[-1] == 1.0


def test_a_frame_without_the_target_is_refused(applications: pd.DataFrame) -> None:
    with pytest.raises(
        TrainingDataError, match=re.escape("The target column 'is_default' is missing.")
    ):
        _train(applications.drop(columns=["is_default"]))


def test_a_target_with_other_values_is_refused(applications: pd.DataFrame) -> None:
    frame = applications.assign(is_default=applications["is_default"] * 2)
    with pytest.raises(TrainingDataError, match="must hold only 0 and 1"):
        _train(frame)


def test_a_target_with_one_class_is_refused(applications: pd.DataFrame) -> None:
    with pytest.raises(TrainingDataError, match=r"needs both defaults \(1\) and goods \(0\)"):
        _train(applications.assign(is_default=0))


def test_missing_model_field_columns_are_named(applications: pd.DataFrame) -> None:
    frame = applications.drop(columns=["education", "monthly_income"])
    with pytest.raises(
        TrainingDataError,
        match=re.escape("Missing model field columns: education, monthly_income."),
    ):
        _train(frame)


def test_zero_income_is_refused_with_the_field_named(applications: pd.DataFrame) -> None:
    frame = applications.copy()
    frame.loc[5, "monthly_income"] = 0.0
    with pytest.raises(
        TrainingDataError, match=re.escape("monthly_income: Must be a positive amount.")
    ):
        _train(frame)


def test_too_few_defaults_for_the_folds_are_refused(applications: pd.DataFrame) -> None:
    frame = applications.assign(is_default=0)
    frame.loc[:2, "is_default"] = 1
    with pytest.raises(TrainingDataError, match=r"Too few rows of the rarer class \(3\)"):
        _train(frame)


def test_the_protected_fields_are_not_needed_to_train(applications: pd.DataFrame) -> None:
    frame = applications.drop(columns=["gender", "marital_status", "nik", "full_name"])
    result = _train(frame, dataclasses.replace(TINY, folds=0))
    assert result.n_rows == 3_000


def test_train_config_round_trips_through_a_dict() -> None:
    config = dataclasses.replace(TINY, learning_rate=0.2, use_monotone=False)
    assert TrainConfig.from_dict(config.to_dict()) == config
    assert config.to_dict()["thresholds"] == {"approve_below": 0.08, "reject_from": 0.2}


def test_train_config_refuses_a_single_fold() -> None:
    with pytest.raises(ValueError, match="folds must be 0"):
        TrainConfig(folds=1)


def test_train_config_refuses_an_unknown_algorithm() -> None:
    with pytest.raises(ValueError, match="Unsupported algorithm 'catboost'"):
        TrainConfig(algorithm="catboost")


def test_xgb_params_carry_the_config() -> None:
    params = TINY.xgb_params((1, 0, -1))
    assert params["objective"] == "binary:logistic"
    assert params["tree_method"] == "hist"
    assert params["nthread"] == 1
    assert params["seed"] == 3
    assert params["monotone_constraints"] == "(1,0,-1)"


def test_predict_pd_returns_float64_probabilities(
    trained: TrainingResult, applications: pd.DataFrame
) -> None:
    x = trained.encoder.transform(applications.iloc[:10])
    pd_values = predict_pd(trained.booster, x, n_threads=1)
    assert pd_values.dtype == np.float64
    assert np.array_equal(pd_values, _xgb(trained).predict(xgb.DMatrix(x)).astype(np.float64))


# ---- sample weights ------------------------------------------------------------------

WEIGHTED = dataclasses.replace(INDONESIAN_SCHEMA, weight="sample_weight")
WEIGHTS_CONFIG = TrainConfig(n_estimators=20, max_depth=3, folds=0, seed=1)


def test_sample_weights_shape_the_fit_and_unit_weights_change_nothing() -> None:
    frame = generate_applications(3000, seed=3)

    unit = train_model(frame.assign(sample_weight=1.0), schema=WEIGHTED, config=WEIGHTS_CONFIG)
    plain = train_model(frame, schema=INDONESIAN_SCHEMA, config=WEIGHTS_CONFIG)
    heavy_defaults = np.where(frame["is_default"] == 1, 5.0, 1.0)
    skewed = train_model(
        frame.assign(sample_weight=heavy_defaults), schema=WEIGHTED, config=WEIGHTS_CONFIG
    )

    assert unit.metrics["auc"] == plain.metrics["auc"]
    assert skewed.pd_holdout.mean() > unit.pd_holdout.mean() + 0.05


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        (-1.0, "must hold finite, non-negative numbers"),
        (np.nan, "must hold finite, non-negative numbers"),
        (0.0, "is zero everywhere"),
        ("heavy", "must be numeric"),
    ],
)
def test_bad_sample_weights_are_refused_naming_the_column(weights: object, message: str) -> None:
    frame = generate_applications(500, seed=3).assign(sample_weight=weights)

    with pytest.raises(TrainingDataError, match=f"'sample_weight' {message}"):
        train_model(frame, schema=WEIGHTED, config=WEIGHTS_CONFIG)


def test_a_missing_weight_column_is_refused() -> None:
    with pytest.raises(
        TrainingDataError, match=re.escape("The weight column 'sample_weight' is missing.")
    ):
        train_model(generate_applications(500, seed=3), schema=WEIGHTED, config=WEIGHTS_CONFIG)
