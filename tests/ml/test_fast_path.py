"""The scoring fast path of a *loaded artifact* equals the reference path on the same rows.

``test_preprocessing`` checks ``encode`` against ``transform`` for a freshly fitted encoder,
``test_explain`` checks XGBoost's native contributions against shap on transformed rows, and
``test_scoring`` checks ``score_row`` PDs against the training pipeline's holdout. Here the
whole per-request path (validated dict -> ``encode`` -> one DMatrix -> PD and grouped TreeSHAP)
of the model as the API loads it is compared with the batch reference path (frame ->
``transform`` -> ``booster.predict`` and ``shap.TreeExplainer``), on rows with missing
optional fields.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest
import shap
import xgboost as xgb

from credit_ml.explain import group_contributions
from credit_ml.scoring import ModelOutput, ScoringModel

Records = Callable[[pd.DataFrame], list[dict[str, Any]]]
ROWS = 200


@pytest.fixture(scope="module")
def frame(applications: pd.DataFrame) -> pd.DataFrame:
    """200 synthetic rows, some with missing optional fields."""
    rows = applications.iloc[-ROWS:].copy()
    rows.loc[rows.index[::3], "annual_interest_rate"] = np.nan
    rows.loc[rows.index[::4], "worst_collectibility_24m"] = pd.NA
    rows.loc[rows.index[::5], "active_lending_platforms"] = pd.NA
    rows.loc[rows.index[::7], "province"] = None
    return rows


@pytest.fixture(scope="module")
def reference_rows(scoring_model: ScoringModel, frame: pd.DataFrame) -> npt.NDArray[np.float32]:
    return scoring_model.encoder.transform(frame)


@pytest.fixture(scope="module")
def outputs(
    scoring_model: ScoringModel, frame: pd.DataFrame, to_records: Records
) -> list[ModelOutput]:
    return [scoring_model.score_row(record) for record in to_records(frame)]


def test_encode_of_each_validated_row_equals_the_transformed_row(
    outputs: list[ModelOutput], reference_rows: npt.NDArray[np.float32]
) -> None:
    encoded = np.vstack([output.encoded for output in outputs])
    assert encoded.shape == reference_rows.shape == (ROWS, reference_rows.shape[1])
    assert np.array_equal(encoded, reference_rows, equal_nan=True)
    assert np.isnan(reference_rows).any()


def test_score_row_pd_equals_booster_predict_on_the_transformed_frame(
    scoring_model: ScoringModel,
    outputs: list[ModelOutput],
    reference_rows: npt.NDArray[np.float32],
) -> None:
    reference = scoring_model.booster.predict(xgb.DMatrix(reference_rows))
    fast = np.array([output.probability_of_default for output in outputs])
    assert np.max(np.abs(fast - reference)) < 1e-6


def test_score_row_contributions_equal_shap_tree_explainer_per_field(
    scoring_model: ScoringModel,
    outputs: list[ModelOutput],
    reference_rows: npt.NDArray[np.float32],
) -> None:
    explainer = shap.TreeExplainer(scoring_model.booster)
    groups, reference = group_contributions(
        explainer.shap_values(reference_rows), scoring_model.encoder.column_groups
    )
    fast = np.array([[output.contributions[g] for g in groups] for output in outputs])
    assert all(tuple(output.contributions) == groups for output in outputs)
    assert np.max(np.abs(fast - reference)) < 1e-6
    bases = np.array([output.base_value for output in outputs])
    assert np.max(np.abs(bases - float(np.ravel(explainer.expected_value)[0]))) < 1e-6


def test_score_row_contributions_and_base_value_add_up_to_the_margin(
    scoring_model: ScoringModel,
    outputs: list[ModelOutput],
    reference_rows: npt.NDArray[np.float32],
) -> None:
    margins = scoring_model.booster.predict(xgb.DMatrix(reference_rows), output_margin=True)
    for output, margin in zip(outputs, margins, strict=True):
        total = output.base_value + sum(output.contributions.values())
        assert total == pytest.approx(output.margin, abs=1e-5)
        assert output.margin == pytest.approx(float(margin), abs=1e-6)
