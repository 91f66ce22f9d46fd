"""A loaded model version that scores applications.

``ScoringModel.score_input(model_input(rows))`` scores rows encoded by
``Encoder.encode_many`` with one ``DMatrix`` for the PD and the margin, and TreeSHAP from
the exact per-leaf tables built at load (``credit_ml.treeshap``; XGBoost's native
``pred_contribs`` for trees deeper than they cover), in array passes; no pandas and no
scikit-learn. ``score_rows`` is that for cleaned applications, one ``ModelOutput`` each,
and ``score_row`` is ``score_rows`` of one (the per-request path). ``score_frame`` is
the vectorised batch path for PDs only (``Booster.inplace_predict``). All give the same
PDs as the training pipeline (``Encoder.transform``, ``Booster.predict``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType
from typing import Any, TypedDict

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
import pandas as pd
import xgboost as xgb

from credit_ml import lgbm
from credit_ml.explain import group_contributions
from credit_ml.features import FeatureConfig
from credit_ml.preprocessing import Encoder, Matrix
from credit_ml.scaling import DecisionThresholds, Outcome, RiskGrades, ScoreScaling
from credit_ml.schema import INDONESIAN_SCHEMA, ApplicationSchema
from credit_ml.spec import DatasetSpec
from credit_ml.treeshap import TreeTables

MANIFEST_FORMAT = "kreditax.model/1"


@dataclass(frozen=True)
class ModelManifest:
    """What a model version is: read from ``manifest.json``, never changed after saving.

    ``library_versions``: python, xgboost, numpy, pandas, scikit-learn at training.
    ``data_sha256``: the training data's hash. ``params``: ``TrainConfig.to_dict()``.
    ``created_at``: UTC, ISO 8601.
    """

    format: str
    label: str
    algorithm: str
    schema_version: str
    columns: tuple[str, ...]
    column_groups: tuple[str, ...]
    monotone_constraints: tuple[int, ...]
    library_versions: Mapping[str, str]
    data_sha256: str
    params: Mapping[str, Any]
    metrics: Mapping[str, Any]
    calibration: tuple[Mapping[str, float], ...]
    importance: Mapping[str, float]
    scaling: ScoreScaling
    grades: RiskGrades
    thresholds: DecisionThresholds
    feature_config: FeatureConfig
    created_at: str
    # The lender's dataset spec (``credit_ml.spec.DatasetSpec.to_dict``); None for the
    # built-in Indonesian schema, and then left out of ``manifest.json``.
    dataset_spec: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        extra = {} if self.dataset_spec is None else {"dataset_spec": dict(self.dataset_spec)}
        return {
            **extra,
            "format": self.format,
            "label": self.label,
            "algorithm": self.algorithm,
            "schema_version": self.schema_version,
            "columns": list(self.columns),
            "column_groups": list(self.column_groups),
            "monotone_constraints": list(self.monotone_constraints),
            "library_versions": dict(self.library_versions),
            "data_sha256": self.data_sha256,
            "params": dict(self.params),
            "metrics": dict(self.metrics),
            "calibration": [dict(row) for row in self.calibration],
            "importance": dict(self.importance),
            "scaling": self.scaling.to_dict(),
            "grades": self.grades.to_dict(),
            "thresholds": self.thresholds.to_dict(),
            "feature_config": {
                "default_annual_interest_rate": self.feature_config.default_annual_interest_rate
            },
            "created_at": self.created_at,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelManifest:
        return cls(
            format=str(data["format"]),
            label=str(data["label"]),
            algorithm=str(data["algorithm"]),
            schema_version=str(data["schema_version"]),
            columns=tuple(data["columns"]),
            column_groups=tuple(data["column_groups"]),
            monotone_constraints=tuple(int(v) for v in data["monotone_constraints"]),
            library_versions=MappingProxyType(dict(data["library_versions"])),
            data_sha256=str(data["data_sha256"]),
            params=MappingProxyType(dict(data["params"])),
            metrics=MappingProxyType(dict(data["metrics"])),
            calibration=tuple(MappingProxyType(dict(row)) for row in data["calibration"]),
            importance=MappingProxyType(dict(data["importance"])),
            scaling=ScoreScaling.from_dict(data["scaling"]),
            grades=RiskGrades.from_dict(data["grades"]),
            thresholds=DecisionThresholds.from_dict(data["thresholds"]),
            feature_config=FeatureConfig(**data["feature_config"]),
            created_at=str(data["created_at"]),
            dataset_spec=data.get("dataset_spec"),
        )


@dataclass(frozen=True)
class ModelOutput:
    """One application's model result.

    ``probability_of_default`` in [0, 1]; ``margin`` and ``base_value`` in log-odds;
    ``contributions``: TreeSHAP per application field (log-odds, positive raises the PD),
    so ``base_value + sum(contributions.values())`` equals ``margin`` up to float32 error.
    ``model_decision`` applies the thresholds only, no policy rule. ``encoded``: the
    float32 row (k,) the model saw.
    """

    probability_of_default: float
    margin: float
    credit_score: int
    risk_grade: str
    model_decision: Outcome
    base_value: float
    contributions: Mapping[str, float]
    encoded: npt.NDArray[np.float32]


class ShadowDict(TypedDict):
    """A challenger's result recorded beside the champion's decision
    (``DecisionRecord.shadow``)."""

    model_label: str
    probability_of_default: float
    credit_score: int
    risk_grade: str
    model_decision: Outcome


def shadow_dict(label: str, output: ModelOutput) -> ShadowDict:
    """What a decision record keeps of challenger ``label``'s ``output``."""
    return {
        "model_label": label,
        "probability_of_default": output.probability_of_default,
        "credit_score": output.credit_score,
        "risk_grade": output.risk_grade,
        "model_decision": output.model_decision,
    }


@dataclass(frozen=True)
class ModelInput:
    """Encoded rows (float32, (n, k)) and, for XGBoost, their DMatrix."""

    rows: Matrix
    matrix: xgb.DMatrix | None


@dataclass(frozen=True)
class ScoredRows:
    """Model results of many encoded rows as arrays, row ``i`` for application ``i``, with
    the contributions summed per group in ``groups`` order."""

    probability_of_default: npt.NDArray[np.float32]
    margin: npt.NDArray[np.floating[Any]]
    credit_score: npt.NDArray[np.int64]
    risk_grade: tuple[str, ...]
    model_decision: tuple[Outcome, ...]
    base_value: npt.NDArray[np.floating[Any]]
    groups: tuple[str, ...]
    contributions: npt.NDArray[np.float64]

    def outputs(self, rows: Matrix) -> list[ModelOutput]:
        """Each row as a ``ModelOutput``; ``rows`` are the encoded rows that were scored."""
        groups = self.groups
        return [
            ModelOutput(
                probability_of_default=pd_value,
                margin=margin,
                credit_score=score,
                risk_grade=grade,
                model_decision=decision,
                base_value=base_value,
                contributions=dict(zip(groups, contributions, strict=True)),
                encoded=encoded,
            )
            for pd_value, margin, score, grade, decision, base_value, contributions, encoded in zip(
                self.probability_of_default.tolist(),
                self.margin.tolist(),
                self.credit_score.tolist(),
                self.risk_grade,
                self.model_decision,
                self.base_value.tolist(),
                self.contributions.tolist(),
                rows,
                strict=True,
            )
        ]


def _logistic(margins: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """``1 / (1 + exp(-margin))`` in float32, the objective ``binary:logistic``'s transform."""
    one = np.float32(1.0)
    return one / (one + np.exp(-margins.astype(np.float32)))


class ScoringModel:
    """A model version ready to score; build it with ``artifacts.load_artifact``.

    ``n_threads`` is the booster's ``nthread`` (1 for the web path: requests run in
    parallel, one core each). XGBoost prediction is thread-safe.
    """

    def __init__(
        self,
        *,
        manifest: ModelManifest,
        encoder: Encoder,
        booster: xgb.Booster | lgb.Booster,
        n_threads: int = 1,
    ) -> None:
        if tuple(encoder.columns) != manifest.columns:
            raise ValueError("The encoder's columns differ from the manifest's.")
        self.manifest = manifest
        self.encoder = encoder
        self.booster = booster
        self.n_threads = n_threads
        self.set_threads(n_threads)

    def set_threads(self, n_threads: int) -> None:
        """Set the booster's ``nthread`` (at least 1) for every later prediction."""
        if n_threads < 1:
            raise ValueError("n_threads must be at least 1.")
        if isinstance(self.booster, xgb.Booster):  # LightGBM takes it per prediction
            self.booster.set_param({"nthread": n_threads})
        self.n_threads = n_threads

    @property
    def label(self) -> str:
        return self.manifest.label

    @cached_property
    def schema(self) -> ApplicationSchema:
        """The schema applications to this model follow: its lender's spec, else built-in.

        Built once per loaded model (scoring validates every request against it).
        """
        spec = self.manifest.dataset_spec
        return DatasetSpec.from_dict(spec).schema() if spec else INDONESIAN_SCHEMA

    @cached_property
    def tree_tables(self) -> TreeTables | None:
        """The booster's per-leaf TreeSHAP tables (``credit_ml.treeshap``), built once per
        loaded model; None for trees too deep for them (the stock TreeSHAP is used)."""
        return TreeTables.build(self.booster, len(self.encoder.columns))

    def contributions(self, data: ModelInput) -> npt.NDArray[np.floating[Any]]:
        """TreeSHAP (n, k + 1), bias last: from the tables when the model has them, else
        the library's own ``pred_contribs``/``pred_contrib``. The tables' values are exact
        in float64; the libraries' equal them to float32 rounding (XGBoost) or 1e-12."""
        tables = self.tree_tables
        if tables is not None:
            return tables.contributions(data.rows)
        if isinstance(self.booster, lgb.Booster):
            return lgbm.contributions(self.booster, data.rows, n_threads=self.n_threads)
        assert data.matrix is not None
        return np.asarray(self.booster.predict(data.matrix, pred_contribs=True))

    def score_row(self, values: Mapping[str, Any]) -> ModelOutput:
        """Score one cleaned application (``validate_record`` output)."""
        return self.score_rows([values])[0]

    def score_rows(self, applications: Sequence[Mapping[str, Any]]) -> list[ModelOutput]:
        """Score cleaned applications with one prediction and one TreeSHAP pass.

        Each output is what ``score_row`` gives that application: XGBoost predicts every
        row independently of the others in the batch. An application that cannot be
        encoded raises its error (the first such application's).
        """
        if not applications:
            return []
        rows = self.encoder.encode_many(applications)
        return self.score_input(self.model_input(rows)).outputs(rows)

    def model_input(self, rows: Matrix) -> ModelInput:
        """Encoded rows made ready for ``score_input`` (XGBoost's DMatrix is built here,
        when the model has no tables: they need none)."""
        if isinstance(self.booster, lgb.Booster) or self.tree_tables is not None:
            return ModelInput(rows, None)
        return ModelInput(rows, xgb.DMatrix(rows, nthread=self.n_threads))

    def _predict(
        self, data: ModelInput
    ) -> tuple[
        npt.NDArray[np.floating[Any]], npt.NDArray[np.float32], npt.NDArray[np.floating[Any]]
    ]:
        """Margins, PDs (float32) and TreeSHAP contributions (n, k + 1) of encoded rows.

        With tables, one pass gives both: the margins are the library's own, bit for bit
        (``TreeTables.explain``), and no DMatrix is built. Without, TreeSHAP, the long
        call, comes first: in a worker thread it then runs without the GIL while the
        caller's thread works, and the short calls follow.
        """
        tables = self.tree_tables
        if tables is not None:
            shap, explained = tables.explain(data.rows)
            return explained, _logistic(explained.astype(np.float32)), shap
        booster = self.booster
        contribs = self.contributions(data)
        if isinstance(booster, lgb.Booster):
            # The same from LightGBM: raw score for the margin.
            margins = lgbm.margins(booster, data.rows, n_threads=self.n_threads)
            return margins, _logistic(margins.astype(np.float32)), contribs
        # One DMatrix for both predictions: for a single row, DMatrix + predict is several
        # times cheaper than repeated inplace_predict calls (about 25 vs 90 µs). The PD is
        # the logistic of the margin, computed as XGBoost does (float32), which saves a
        # third tree traversal.
        assert data.matrix is not None
        raw = booster.predict(data.matrix, output_margin=True)
        return raw, _logistic(raw), contribs

    def probabilities(self, data: ModelInput) -> npt.NDArray[np.float32]:
        """The PDs (float32) of encoded rows, as ``score_input`` computes them (the logistic
        of the margin), without TreeSHAP: for re-deciding without explanations.

        The margins come from the library's own predictor on the booster's threads (about
        twelve times the tables' numpy pass for a batch), which are the margins
        ``score_input`` gives, bit for bit (``TreeTables.explain`` adds the same leaves in
        the same order and precision; tests/ml/test_treeshap.py holds both equal).
        """
        booster = self.booster
        if isinstance(booster, lgb.Booster):
            margins = lgbm.margins(booster, data.rows, n_threads=self.n_threads)
            return _logistic(margins.astype(np.float32))
        if data.matrix is not None:
            return _logistic(booster.predict(data.matrix, output_margin=True))
        rows = np.asarray(data.rows, dtype=np.float32)
        return _logistic(np.asarray(booster.inplace_predict(rows, predict_type="margin")))

    def score_input(self, data: ModelInput) -> ScoredRows:
        """Score encoded rows with one prediction and one TreeSHAP pass, in array passes.
        The booster releases the GIL while it predicts, so this may run in a worker
        thread."""
        margins, pds, contribs = self._predict(data)
        manifest = self.manifest
        values = pds.astype(np.float64)
        groups, grouped = group_contributions(contribs, self.encoder.column_groups)
        return ScoredRows(
            probability_of_default=pds,
            margin=margins,
            credit_score=manifest.scaling.scores(values),
            risk_grade=tuple(manifest.grades.grades(values).tolist()),
            model_decision=tuple(manifest.thresholds.decisions(values)),
            base_value=np.asarray(contribs)[:, -1],
            groups=groups,
            contributions=grouped,
        )

    def score_frame(self, frame: pd.DataFrame) -> npt.NDArray[np.float64]:
        """PDs of every row of a frame of cleaned applications (vectorised), float64."""
        if len(frame) == 0:
            return np.zeros(0, dtype=np.float64)
        x = self.encoder.transform(frame)
        if isinstance(self.booster, lgb.Booster):
            return lgbm.predict_pd(self.booster, x, n_threads=self.n_threads)
        return np.asarray(self.booster.inplace_predict(x), dtype=np.float64)
