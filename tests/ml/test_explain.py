from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
import shap
import xgboost as xgb

from credit_ml.explain import contributions, global_importance, group_contributions
from credit_ml.training import TrainingResult


@pytest.fixture(scope="module")
def rows(trained: TrainingResult, applications: pd.DataFrame) -> np.ndarray:
    return trained.encoder.transform(applications.iloc[:200])


def test_native_contributions_equal_shap_tree_explainer(
    trained: TrainingResult, rows: np.ndarray
) -> None:
    native = contributions(trained.booster, rows)
    reference = shap.TreeExplainer(trained.booster).shap_values(rows)
    assert native.shape == (200, len(trained.encoder.columns) + 1)
    assert np.max(np.abs(native[:, :-1] - reference)) < 1e-5


def test_native_contributions_equal_shaps_own_tree_shap_algorithm(
    trained: TrainingResult, rows: np.ndarray
) -> None:
    # For XGBoost, shap.TreeExplainer delegates to pred_contribs. Marking the parsed model
    # "internal" makes shap run its own TreeSHAP on its own parse of the trees instead: an
    # independent check (float64 against XGBoost's float32; observed max diff ~1e-6).
    explainer = shap.TreeExplainer(trained.booster)
    explainer.model.model_type = "internal"
    reference = explainer.shap_values(rows.astype(np.float64), check_additivity=False)
    native = contributions(trained.booster, rows)
    assert np.max(np.abs(native[:, :-1] - reference)) < 1e-5


def test_contributions_and_bias_add_up_to_the_margin(
    trained: TrainingResult, rows: np.ndarray
) -> None:
    native = contributions(trained.booster, rows)
    margin = trained.booster.predict(xgb.DMatrix(rows), output_margin=True)
    assert np.max(np.abs(native.sum(axis=1) - margin)) < 1e-4
    assert np.unique(native[:, -1]).size == 1  # the bias is the same for every row


def test_group_contributions_add_the_one_hot_columns_of_a_field() -> None:
    groups, grouped = group_contributions([[1.0, 2.0, 3.0, 4.0, 10.0]], ("a", "b", "b", "c"))
    assert groups == ("a", "b", "c")
    assert grouped.tolist() == [[1.0, 5.0, 4.0]]


def test_group_contributions_accept_rows_without_the_bias() -> None:
    groups, grouped = group_contributions([[1.0, 2.0, 3.0], [0.5, -2.0, 1.0]], ("a", "b", "b"))
    assert groups == ("a", "b")
    assert grouped.tolist() == [[1.0, 5.0], [0.5, -1.0]]


def test_group_contributions_add_each_fields_columns_in_column_order_from_zero() -> None:
    # Left to right, 1e16 + 1.0 rounds back to 1e16 (float64 spacing there is 2), so the
    # sum is 0.0; any other order or a pairwise sum keeps the 1.0. Columns of a field need
    # not be adjacent; a lone -0.0 comes out as 0.0, as 0.0 + -0.0 does.
    row = [1e16, 7.0, 1.0, -0.0, -1e16]
    groups, grouped = group_contributions([row], ("b", "a", "b", "c", "b"))
    assert groups == ("b", "a", "c")
    assert grouped.tolist() == [[0.0, 7.0, 0.0]]
    assert math.copysign(1.0, grouped[0, 2]) == 1.0


def test_group_contributions_refuse_rows_of_the_wrong_length() -> None:
    with pytest.raises(ValueError, match=re.escape("Expected an array (n, 2) or (n, 3).")):
        group_contributions([[1.0, 2.0, 3.0, 4.0, 5.0]], ("a", "b"))
    with pytest.raises(ValueError, match=re.escape("Expected an array (n, 2) or (n, 3).")):
        group_contributions([1.0, 2.0, 3.0], ("a", "b"))


def test_global_importance_is_mean_absolute_field_sum_sorted_descending() -> None:
    contribs = [[1.0, -2.0, 1.0, 0.0], [-3.0, 1.0, 2.0, 2.0]]
    importance = global_importance(contribs, ("c", "b", "b", "a"))
    # c: |1|, |-3| -> 2.0; b: |-1|, |3| -> 2.0; a: 0, 2 -> 1.0; the tie keeps column order
    assert list(importance.items()) == [("c", 2.0), ("b", 2.0), ("a", 1.0)]


def test_training_importance_covers_every_model_field(trained: TrainingResult) -> None:
    assert set(trained.importance) == set(trained.encoder.column_groups)
    values = list(trained.importance.values())
    assert values == sorted(values, reverse=True)
