"""Training: validate the frame, hold out a test set, cross-validate, fit, evaluate.

The pipeline is deterministic (same frame, same config, same result): fixed seeds,
``tree_method="hist"``, no early stopping. The encoder is refitted inside every CV fold on
that fold's training rows only, so no category seen only in a validation fold leaks in.
Beyond the XGBoost fit the overhead is vectorised: encoding, one holdout prediction, and
TreeSHAP on at most ``IMPORTANCE_ROWS`` holdout rows.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
import pandas as pd
import xgboost as xgb
from sklearn.model_selection import StratifiedKFold, train_test_split

from credit_ml import evaluation, explain, lgbm
from credit_ml.fairness import fairness_report
from credit_ml.features import FeatureConfig
from credit_ml.monitoring import ModelBaseline
from credit_ml.preprocessing import Encoder, fit_encoder
from credit_ml.scaling import DecisionThresholds, Outcome, RiskGrades, ScoreScaling
from credit_ml.schema import ApplicationSchema

#: Global importance uses TreeSHAP on at most this many holdout rows.
IMPORTANCE_ROWS = 5_000

Progress = Callable[[str, float], None]
ALGORITHMS = ("xgboost", "lightgbm")
#: A fitted model of either algorithm; the helpers below dispatch on its type.
Booster = xgb.Booster | lgb.Booster
Matrix = npt.NDArray[np.float32]


class TrainingDataError(ValueError):
    """The training frame cannot be used; the message names the problem."""


@dataclass(frozen=True)
class TargetRates:
    """Decision thresholds asked for as shares of applications instead of PD cut-offs.

    ``approve``: the share to approve, ``review``: the share to send to review (both 0..1,
    together at most 1); the rest is rejected. ``train_model`` turns them into
    ``DecisionThresholds`` on the holdout's PDs (``thresholds_for_rates``).
    """

    approve: float
    review: float

    def __post_init__(self) -> None:
        if not (0.0 <= self.approve <= 1.0 and 0.0 <= self.review <= 1.0):
            raise ValueError("The approval and review rates must each lie between 0 and 1.")
        if self.approve + self.review > 1.0 + 1e-9:
            raise ValueError("The approval and review rates together must be at most 1.")

    def to_dict(self) -> dict[str, float]:
        return {"approve_rate": self.approve, "review_rate": self.review}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TargetRates:
        return cls(approve=float(data["approve_rate"]), review=float(data["review_rate"]))


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters and conventions of one training run.

    ``folds`` = 0 skips cross-validation, otherwise at least 2. ``test_size`` is the
    stratified holdout fraction. ``n_threads`` is XGBoost's ``nthread``.
    ``min_category_frequency``: categories seen fewer times in training encode as unseen.
    ``thresholds``: the PD cut-offs of the model's decision, unless ``target_rates`` is
    given: then the cut-offs are chosen on the holdout to approve and review those shares.
    """

    algorithm: str = "xgboost"
    n_estimators: int = 250
    max_depth: int = 4
    learning_rate: float = 0.08
    subsample: float = 0.8
    colsample_bytree: float = 0.8
    min_child_weight: float = 5.0
    reg_lambda: float = 1.0
    folds: int = 5
    test_size: float = 0.2
    seed: int = 42
    n_threads: int = 1
    use_monotone: bool = True
    min_category_frequency: int = 1
    scaling: ScoreScaling = field(default_factory=ScoreScaling)
    grades: RiskGrades = field(default_factory=RiskGrades)
    thresholds: DecisionThresholds = field(default_factory=DecisionThresholds)
    target_rates: TargetRates | None = None
    feature_config: FeatureConfig = field(default_factory=FeatureConfig)

    def __post_init__(self) -> None:
        if self.algorithm not in ALGORITHMS:
            raise ValueError(
                f"Unsupported algorithm {self.algorithm!r}: choose {' or '.join(ALGORITHMS)}."
            )
        if self.folds == 1 or self.folds < 0:
            raise ValueError("folds must be 0 (no cross-validation) or at least 2.")
        if not 0.0 < self.test_size < 1.0:
            raise ValueError("test_size must lie strictly between 0 and 1.")
        if self.n_estimators < 1 or self.max_depth < 1 or self.n_threads < 1:
            raise ValueError("n_estimators, max_depth and n_threads must be at least 1.")
        if self.min_category_frequency < 1:
            raise ValueError("min_category_frequency must be at least 1.")

    def xgb_params(self, monotone: tuple[int, ...] | None = None) -> dict[str, Any]:
        """The parameters handed to ``xgboost.train`` (rounds are ``n_estimators``)."""
        params: dict[str, Any] = {
            "objective": "binary:logistic",
            "tree_method": "hist",
            "max_depth": self.max_depth,
            "eta": self.learning_rate,
            "subsample": self.subsample,
            "colsample_bytree": self.colsample_bytree,
            "min_child_weight": self.min_child_weight,
            "lambda": self.reg_lambda,
            "nthread": self.n_threads,
            "seed": self.seed,
            "validate_parameters": True,
        }
        if monotone is not None and any(monotone):
            params["monotone_constraints"] = "(" + ",".join(map(str, monotone)) + ")"
        return params

    def to_dict(self) -> dict[str, Any]:
        plain = {name: getattr(self, name) for name in _PLAIN_FIELDS}
        return {
            **plain,
            "scaling": self.scaling.to_dict(),
            "grades": self.grades.to_dict(),
            "thresholds": self.thresholds.to_dict(),
            **({"target_rates": self.target_rates.to_dict()} if self.target_rates else {}),
            "feature_config": {
                "default_annual_interest_rate": self.feature_config.default_annual_interest_rate
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrainConfig:
        """Inverse of ``to_dict``; missing keys take their defaults."""
        plain = {name: data[name] for name in _PLAIN_FIELDS if name in data}
        nested: dict[str, Any] = {}
        if "scaling" in data:
            nested["scaling"] = ScoreScaling.from_dict(data["scaling"])
        if "grades" in data:
            nested["grades"] = RiskGrades.from_dict(data["grades"])
        if "thresholds" in data:
            nested["thresholds"] = DecisionThresholds.from_dict(data["thresholds"])
        if data.get("target_rates"):
            nested["target_rates"] = TargetRates.from_dict(data["target_rates"])
        if "feature_config" in data:
            nested["feature_config"] = FeatureConfig(**data["feature_config"])
        return cls(**plain, **nested)


_PLAIN_FIELDS = (
    "algorithm",
    "n_estimators",
    "max_depth",
    "learning_rate",
    "subsample",
    "colsample_bytree",
    "min_child_weight",
    "reg_lambda",
    "folds",
    "test_size",
    "seed",
    "n_threads",
    "use_monotone",
    "min_category_frequency",
)


@dataclass(frozen=True)
class TrainingResult:
    """Everything a training run produced.

    ``metrics`` (holdout): ``auc``, ``gini``, ``ks``, ``brier``, ``log_loss``,
    ``default_rate``, ``n``, plus ``cv_auc_mean``, ``cv_auc_std`` (population std; both
    None without CV) and ``cv_auc_folds`` (list). ``importance``: mean |SHAP| per field in
    log-odds, descending. ``y_holdout``/``pd_holdout``: the holdout labels (int8) and PDs
    (float64) for the report; ``test_index``: the holdout rows' positions in the frame,
    ascending, aligned with both. ``timings``: seconds per stage. ``fairness``:
    ``credit_ml.fairness.fairness_report`` of the holdout, per protected field present.
    ``baseline``: the monitoring baseline (``credit_ml.monitoring.training_baseline``, or
    ``holdout_sample_baseline`` on a Dask cluster), set by the caller; saved with the
    artifact when present.
    """

    encoder: Encoder
    booster: Booster
    config: TrainConfig
    schema_version: str
    monotone_constraints: tuple[int, ...]
    metrics: dict[str, Any]
    calibration: list[dict[str, float]]
    importance: dict[str, float]
    y_holdout: npt.NDArray[np.int8]
    pd_holdout: npt.NDArray[np.float64]
    n_rows: int
    n_train: int
    n_test: int
    default_rate: float
    test_index: npt.NDArray[np.intp] = field(default_factory=lambda: np.zeros(0, np.intp))
    timings: dict[str, float] = field(default_factory=dict)
    fairness: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    baseline: ModelBaseline | None = None


class DaskTrainingFailed(RuntimeError):
    """Training on a Dask cluster failed (``credit_ml.dask_training``); the message says
    why, for people."""


class BoosterFit(Protocol):
    """Fits one booster on encoded rows ``x`` (n, k) and 0/1 labels ``y``: ``fit_booster``
    on this machine, ``credit_ml.dask_training.DaskFit`` on a Dask cluster."""

    def __call__(
        self,
        x: Matrix,
        y: npt.ArrayLike,
        *,
        config: TrainConfig,
        monotone: tuple[int, ...] = (),
        weights: npt.NDArray[np.float32] | None = None,
    ) -> Booster: ...


# ---- validation ----------------------------------------------------------------------


def validate_training_frame(frame: pd.DataFrame, schema: ApplicationSchema) -> np.ndarray:
    """Check the frame and return the target as int8; raise ``TrainingDataError``."""
    if len(frame) == 0:
        raise TrainingDataError("The training data has no rows.")
    y = target_labels(frame, schema)
    check_both_classes(np.bincount(y, minlength=2), schema.target)
    return y


def target_labels(frame: pd.DataFrame, schema: ApplicationSchema) -> npt.NDArray[np.int8]:
    """The target of some rows as int8 0/1, their columns checked; the checks of
    ``validate_training_frame`` that hold row by row (a Dask partition's), so not whether
    both classes occur. Raises ``TrainingDataError``."""
    if schema.target not in frame.columns:
        raise TrainingDataError(f"The target column '{schema.target}' is missing.")
    missing = [name for name in _input_columns(schema) if name not in frame.columns]
    if missing:
        raise TrainingDataError(f"Missing model field columns: {', '.join(missing)}.")
    return _target(frame[schema.target], schema.target)


def _target(column: pd.Series, name: str) -> npt.NDArray[np.int8]:
    try:
        values = column.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        raise TrainingDataError(f"The target '{name}' must hold only 0 and 1.") from None
    if not np.all((values == 0) | (values == 1)):
        raise TrainingDataError(f"The target '{name}' must hold only 0 and 1 (no missing).")
    y: npt.NDArray[np.int8] = values.astype(np.int8)
    return y


def check_both_classes(counts: npt.NDArray[np.intp], name: str) -> None:
    """Refuse a target whose label ``counts`` (goods, defaults) lack a class."""
    if counts.min() == 0:
        raise TrainingDataError(f"The target '{name}' needs both defaults (1) and goods (0).")


# ---- decision thresholds -------------------------------------------------------------


def thresholds_for_rates(pds: npt.ArrayLike, rates: TargetRates) -> DecisionThresholds:
    """PD cut-offs that approve ``rates.approve`` and review ``rates.review`` of ``pds``.

    With the PDs sorted ascending, ``approve_below`` lies halfway between the last PD
    approved and the first one not approved (``round(approve * n)`` approved), and
    ``reject_from`` likewise after ``round((approve + review) * n)``; 0 approves nothing,
    1.0 (n rows) everything. Ties can make a share come out smaller: equal PDs are never
    split between two decisions.
    """
    ordered = np.sort(np.asarray(pds, dtype=np.float64))
    if ordered.size == 0:
        raise TrainingDataError("Target rates need holdout PDs to choose cut-offs on.")
    approve_below = _cut(ordered, rates.approve)
    reject_from = max(_cut(ordered, min(rates.approve + rates.review, 1.0)), approve_below)
    return DecisionThresholds(approve_below=approve_below, reject_from=reject_from)


def _cut(ordered: npt.NDArray[np.float64], share: float) -> float:
    """A PD with ``round(share * n)`` of the sorted PDs strictly below it."""
    k = round(share * ordered.size)
    if k <= 0:
        return 0.0
    if k >= ordered.size:
        return 1.0
    return float((ordered[k - 1] + ordered[k]) / 2.0)


def config_with_thresholds(config: TrainConfig, pds: npt.ArrayLike) -> TrainConfig:
    """``config`` with the cut-offs its ``target_rates`` give on ``pds`` (the holdout's);
    unchanged when it has PD cut-offs of its own."""
    if config.target_rates is None:
        return config
    return replace(config, thresholds=thresholds_for_rates(pds, config.target_rates))


def decision_bands(y: npt.ArrayLike, pds: npt.ArrayLike, *, config: TrainConfig) -> dict[str, Any]:
    """The model's decisions on labelled rows (the holdout) under ``config.thresholds``.

    ``bands``: for APPROVE, REVIEW and REJECT the PD range, ``count``, ``share`` of all
    rows and ``bad_rate`` (defaults among them; None for an empty band); ``approval_rate``
    is APPROVE's share. ``chosen_from`` says whether the cut-offs were given or chosen
    from target rates (then ``target_rates`` too).
    """
    labels = np.asarray(y, dtype=np.float64)
    values = np.asarray(pds, dtype=np.float64)
    thresholds = config.thresholds
    edges = {
        Outcome.APPROVE: (0.0, thresholds.approve_below),
        Outcome.REVIEW: (thresholds.approve_below, thresholds.reject_from),
        Outcome.REJECT: (thresholds.reject_from, 1.0),
    }
    masks = {
        Outcome.APPROVE: values < thresholds.approve_below,
        Outcome.REVIEW: (values >= thresholds.approve_below) & (values < thresholds.reject_from),
        Outcome.REJECT: values >= thresholds.reject_from,
    }
    bands = [
        {
            "decision": decision,
            "pd_from": edges[decision][0],
            "pd_to": edges[decision][1],
            "count": int(mask.sum()),
            "share": float(mask.mean()) if values.size else 0.0,
            "bad_rate": float(labels[mask].mean()) if mask.any() else None,
        }
        for decision, mask in masks.items()
    ]
    rates = config.target_rates
    return {
        "approve_below": thresholds.approve_below,
        "reject_from": thresholds.reject_from,
        "chosen_from": "target rates" if rates else "cut-offs",
        **({"target_rates": rates.to_dict()} if rates else {}),
        "approval_rate": bands[0]["share"],
        "bands": bands,
    }


# ---- the pipeline --------------------------------------------------------------------


def train_model(
    frame: pd.DataFrame,
    *,
    schema: ApplicationSchema,
    config: TrainConfig,
    progress: Progress | None = None,
    fit: BoosterFit | None = None,
) -> TrainingResult:
    """Train and evaluate one model on ``frame`` (application fields plus the target).

    ``progress(stage, fraction)`` is called with fraction in [0, 1] as stages complete.
    ``fit`` fits every booster (the folds' and the final one) on encoded rows; default
    ``fit_booster`` on this machine (``credit_ml.dask_training.DaskFit``: on a Dask cluster).
    Everything else (validation, split, encoding, metrics, fairness) is the same either way.
    """
    fit = fit or fit_booster
    report, clock = progress or _silent, _Clock()
    report("validating data", 0.0)
    y = validate_training_frame(frame, schema)
    weights = sample_weights(frame, schema)
    train_idx, test_idx = _holdout_split(y, config)
    data = frame[_input_columns(schema)]
    train, y_train = data.take(train_idx), y[train_idx]
    w_train = None if weights is None else weights[train_idx]
    clock.lap("prepare")
    cv_aucs = _cross_validate(
        train, y_train, schema=schema, config=config, progress=report, weights=w_train, fit=fit
    )
    clock.lap("cross_validation")
    report("training final model", _fraction_done(config, config.folds))
    encoder, booster, monotone = _fit(train, y_train, schema, config, w_train, fit)
    clock.lap("final_fit")
    report("evaluating on the holdout", 0.95)
    holdout = _evaluate(encoder, booster, data.take(test_idx), y[test_idx], config)
    result = trained_result(
        Fitted(encoder, booster, monotone, config, schema),
        holdout,
        frame.take(test_idx),
        cv_aucs,
        Sizes(len(frame), len(train_idx), len(test_idx), float(y.mean())),
        test_index=test_idx,
    )
    clock.lap("evaluate")
    report("done", 1.0)
    return replace(result, timings=clock.laps)


@dataclass(frozen=True)
class Fitted:
    """The final encoder and booster, the constraints used, the run's config and schema."""

    encoder: Encoder
    booster: Booster
    monotone: tuple[int, ...]
    config: TrainConfig
    schema: ApplicationSchema


@dataclass(frozen=True)
class Sizes:
    """Rows in all, in training, in the holdout, and the share of defaults in all."""

    rows: int
    train: int
    test: int
    default_rate: float


def trained_result(
    fitted: Fitted,
    holdout: Holdout,
    protected: pd.DataFrame,
    cv_aucs: list[float],
    sizes: Sizes,
    *,
    test_index: npt.NDArray[np.intp],
) -> TrainingResult:
    """The ``TrainingResult`` of a fitted model and its holdout evaluation: the cut-offs
    chosen from target rates on the holdout PDs, decision bands, and the fairness report
    over ``protected`` (the holdout rows, aligned with its PDs, with their protected
    fields)."""
    config = config_with_thresholds(fitted.config, holdout.pd)
    fairness = fairness_report(
        protected, holdout.pd, schema=fitted.schema, thresholds=config.thresholds
    )
    return TrainingResult(
        encoder=fitted.encoder,
        booster=fitted.booster,
        config=config,
        schema_version=fitted.schema.version,
        monotone_constraints=fitted.monotone or (0,) * len(fitted.encoder.columns),
        metrics={
            **holdout.metrics,
            **_cv_summary(cv_aucs),
            "decision_bands": decision_bands(holdout.y, holdout.pd, config=config),
        },
        calibration=holdout.calibration,
        importance=holdout.importance,
        y_holdout=holdout.y,
        pd_holdout=holdout.pd,
        n_rows=sizes.rows,
        n_train=sizes.train,
        n_test=sizes.test,
        default_rate=sizes.default_rate,
        test_index=test_index,
        fairness=fairness,
    )


@dataclass(frozen=True)
class Holdout:
    """A holdout's labels, PDs, metrics, calibration and importance."""

    y: npt.NDArray[np.int8]
    pd: npt.NDArray[np.float64]
    metrics: dict[str, Any]
    calibration: list[dict[str, float]]
    importance: dict[str, float]


class _Clock:
    """Seconds spent per stage, each lap measured from the end of the previous one."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.laps[stage] = now - self._last
        self._last = now


def _fit(
    train: pd.DataFrame,
    y: np.ndarray,
    schema: ApplicationSchema,
    config: TrainConfig,
    weights: npt.NDArray[np.float32] | None = None,
    fit: BoosterFit | None = None,
) -> tuple[Encoder, Booster, tuple[int, ...]]:
    """Encoder and booster fitted on ``train`` only; the constraints used (() if none)."""
    encoder = _fit_encoder(train, schema, config)
    monotone = encoder.monotone_constraints(schema) if config.use_monotone else ()
    x = encode_rows(encoder, train)
    booster = (fit or fit_booster)(x, y, config=config, monotone=monotone, weights=weights)
    return encoder, booster, monotone


def sample_weights(
    frame: pd.DataFrame, schema: ApplicationSchema
) -> npt.NDArray[np.float32] | None:
    """The schema's weight column as float32, or None; raises ``TrainingDataError``.

    Weights shape the fit only; holdout and CV metrics stay unweighted, so they describe the
    applications as they come.
    """
    weights = row_weights(frame, schema)
    if weights is not None:
        check_some_weight(float(weights.sum()), schema)
    return weights


def row_weights(frame: pd.DataFrame, schema: ApplicationSchema) -> npt.NDArray[np.float32] | None:
    """``sample_weights`` of some rows (a Dask partition's): each checked, not their sum."""
    if schema.weight is None:
        return None
    if schema.weight not in frame.columns:
        raise TrainingDataError(f"The weight column '{schema.weight}' is missing.")
    try:
        weights = frame[schema.weight].to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        raise TrainingDataError(f"The weight column '{schema.weight}' must be numeric.") from None
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise TrainingDataError(
            f"The weight column '{schema.weight}' must hold finite, non-negative numbers."
        )
    weights32: npt.NDArray[np.float32] = weights.astype(np.float32)
    return weights32


def check_some_weight(total: float, schema: ApplicationSchema) -> None:
    """Refuse weights (finite, non-negative) that add up to ``total`` = 0."""
    if not total > 0:
        raise TrainingDataError(f"The weight column '{schema.weight}' is zero everywhere.")


def _evaluate(
    encoder: Encoder, booster: Booster, test: pd.DataFrame, y: np.ndarray, config: TrainConfig
) -> Holdout:
    """Holdout metrics and calibration, and mean |SHAP| on at most IMPORTANCE_ROWS rows."""
    x = encode_rows(encoder, test)
    pd_test = predict_pd(booster, x, n_threads=config.n_threads)
    return holdout_evaluation(encoder, booster, y, pd_test, x[:IMPORTANCE_ROWS], config)


def holdout_evaluation(
    encoder: Encoder,
    booster: Booster,
    y: np.ndarray,
    pd_test: npt.NDArray[np.float64],
    x_first: Matrix,
    config: TrainConfig,
) -> Holdout:
    """The holdout's metrics and calibration from its labels ``y`` and PDs ``pd_test``, and
    mean |SHAP| on ``x_first``: its first rows, encoded (at most ``IMPORTANCE_ROWS``)."""
    shap_rows = explain.contributions(booster, x_first, n_threads=config.n_threads)
    return Holdout(
        y=y,
        pd=pd_test,
        metrics=dict(evaluation.binary_metrics(y, pd_test)),
        calibration=evaluation.calibration_by_decile(y, pd_test),
        importance=explain.global_importance(shap_rows, encoder.column_groups),
    )


def fit_booster(
    x: Matrix,
    y: npt.ArrayLike,
    *,
    config: TrainConfig,
    monotone: tuple[int, ...] = (),
    weights: npt.NDArray[np.float32] | None = None,
) -> Booster:
    """``xgboost.train`` on a DMatrix (or LightGBM for ``algorithm="lightgbm"``),
    ``n_estimators`` rounds, no early stopping.

    A plain DMatrix, not a QuantileDMatrix: on a million rows the latter saves memory but
    its sketching costs more time than the histogram build it spares.
    """
    if config.algorithm == "lightgbm":
        return lgbm.fit(x, y, config=config, monotone=monotone, weights=weights)
    matrix = xgb.DMatrix(
        x, label=np.asarray(y, dtype=np.float32), weight=weights, nthread=config.n_threads
    )
    return xgb.train(
        config.xgb_params(monotone), matrix, num_boost_round=config.n_estimators, verbose_eval=False
    )


def predict_pd(booster: Booster, x: np.ndarray, n_threads: int = 1) -> npt.NDArray[np.float64]:
    """PDs (float64 copies of XGBoost's float32 output) of encoded rows ``x`` (n, k).

    ``n_threads`` builds the DMatrix; prediction runs on the booster's ``nthread``.
    """
    if isinstance(booster, lgb.Booster):
        return lgbm.predict_pd(booster, x, n_threads=n_threads)
    matrix = xgb.DMatrix(np.asarray(x, dtype=np.float32), nthread=n_threads)
    return booster.predict(matrix).astype(np.float64)


def _silent(stage: str, fraction: float) -> None:
    return None


def _input_columns(schema: ApplicationSchema) -> list[str]:
    """Model fields and the inputs of derived features, each once, in schema order."""
    names = [spec.name for spec in schema.model_fields]
    names += [name for feature in schema.derived for name in feature.inputs]
    return list(dict.fromkeys(names))


def holdout_rows(
    frame: pd.DataFrame, *, schema: ApplicationSchema, config: TrainConfig
) -> np.ndarray:
    """Positions (ascending) of the holdout rows ``train_model`` uses for this frame and config.

    The split is deterministic (stratified, ``config.seed``, ``config.test_size``), so the
    holdout of a trained version can be recomputed from its data file and stored params.
    """
    y = validate_training_frame(frame, schema)
    return _holdout_split(y, config)[1]


def _holdout_split(y: np.ndarray, config: TrainConfig) -> tuple[np.ndarray, np.ndarray]:
    check_class_sizes(np.bincount(y, minlength=2), config)
    indices = np.arange(y.size)
    train_idx, test_idx = train_test_split(
        indices, test_size=config.test_size, stratify=y, random_state=config.seed
    )
    check_split_sizes(np.bincount(y[train_idx]), np.bincount(y[test_idx]), config)
    return np.sort(train_idx), np.sort(test_idx)


def check_class_sizes(counts: npt.NDArray[np.intp], config: TrainConfig) -> None:
    """Refuse label ``counts`` (goods, defaults) too small for a holdout and the folds."""
    needed = max(2, config.folds) + 1
    if counts.min() < needed:
        raise TrainingDataError(
            f"Too few rows of the rarer class ({int(counts.min())}); at least {needed} "
            f"are needed for a holdout and {config.folds} folds."
        )


def check_split_sizes(
    train: npt.NDArray[np.intp], test: npt.NDArray[np.intp], config: TrainConfig
) -> None:
    """Refuse a split whose holdout lacks a class or whose training rows (label counts
    ``train``) have fewer of a class than there are folds."""
    if np.count_nonzero(test) < 2 or train.min() < max(config.folds, 1):
        raise TrainingDataError("The holdout split left a class too small; add more rows.")


def _fit_encoder(frame: pd.DataFrame, schema: ApplicationSchema, config: TrainConfig) -> Encoder:
    return fit_encoder(
        frame,
        schema=schema,
        feature_config=config.feature_config,
        min_frequency=config.min_category_frequency,
    )


def encode_rows(encoder: Encoder, frame: pd.DataFrame) -> Matrix:
    """``encoder.transform(frame)``; what cannot be encoded raises ``TrainingDataError``."""
    try:
        return encoder.transform(frame)
    except ValueError as exc:  # EncodingError, FeatureInputError (e.g. zero income)
        raise TrainingDataError(f"The training data cannot be encoded: {exc}") from exc


def _cross_validate(
    train: pd.DataFrame,
    y: np.ndarray,
    *,
    schema: ApplicationSchema,
    config: TrainConfig,
    progress: Progress,
    weights: npt.NDArray[np.float32] | None = None,
    fit: BoosterFit | None = None,
) -> list[float]:
    """Stratified K-fold AUCs; the encoder is fitted on each fold's training rows only."""
    if config.folds == 0:
        return []
    splitter = StratifiedKFold(n_splits=config.folds, shuffle=True, random_state=config.seed)
    aucs = []
    for fold, (fit_idx, val_idx) in enumerate(splitter.split(np.zeros(y.size), y)):
        progress(f"cross-validation fold {fold + 1}/{config.folds}", _fraction_done(config, fold))
        aucs.append(
            _fold_auc(
                train.take(fit_idx),
                y[fit_idx],
                train.take(val_idx),
                y[val_idx],
                schema,
                config,
                None if weights is None else weights[fit_idx],
                fit,
            )
        )
    return aucs


def _fold_auc(
    fit: pd.DataFrame,
    y_fit: np.ndarray,
    val: pd.DataFrame,
    y_val: np.ndarray,
    schema: ApplicationSchema,
    config: TrainConfig,
    weights: npt.NDArray[np.float32] | None = None,
    booster_fit: BoosterFit | None = None,
) -> float:
    encoder, booster, _ = _fit(fit, y_fit, schema, config, weights, booster_fit)  # own encoder
    pd_val = predict_pd(booster, encode_rows(encoder, val), n_threads=config.n_threads)
    return evaluation.binary_metrics(y_val, pd_val)["auc"]


def _fraction_done(config: TrainConfig, folds_done: int) -> float:
    """Share of the work done, counting each fold and the final fit as equal parts."""
    parts = config.folds + 1
    return round(0.9 * folds_done / parts, 4)


def _cv_summary(aucs: list[float]) -> dict[str, Any]:
    if not aucs:
        return {"cv_auc_mean": None, "cv_auc_std": None, "cv_auc_folds": []}
    return {
        "cv_auc_mean": float(np.mean(aucs)),
        "cv_auc_std": float(np.std(aucs)),
        "cv_auc_folds": [float(a) for a in aucs],
    }


def cross_validated_aucs(
    frame: pd.DataFrame,
    *,
    schema: ApplicationSchema,
    config: TrainConfig,
    splits: list[tuple[np.ndarray, np.ndarray]],
) -> list[float]:
    """The pipeline's AUC on each given ``(fit_rows, validation_rows)`` split of ``frame``.

    The encoder is fitted on each split's fit rows only, as in ``train_model``'s CV; the
    caller chooses the folds, so another model can be compared on exactly the same rows.
    """
    y = validate_training_frame(frame, schema)
    weights = sample_weights(frame, schema)
    data = frame[_input_columns(schema)]
    return [
        _fold_auc(
            data.take(fit),
            y[fit],
            data.take(val),
            y[val],
            schema,
            config,
            None if weights is None else weights[fit],
        )
        for fit, val in splits
    ]
