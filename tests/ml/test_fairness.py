from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from credit_ml.fairness import fairness_report, group_rows
from credit_ml.scaling import DecisionThresholds
from credit_ml.schema import INDONESIAN_SCHEMA
from credit_ml.training import TrainingResult

THRESHOLDS = DecisionThresholds(approve_below=0.1, reject_from=0.2)


def test_each_group_has_count_approval_rate_mean_pd_and_disparate_impact() -> None:
    rows = group_rows(
        ["F", "F", "M", "M", "M", "M"],
        approved=np.array([True, False, True, True, True, False]),
        pds=np.array([0.05, 0.3, 0.02, 0.04, 0.06, 0.5]),
    )
    assert rows == [
        {
            "group": "F",
            "count": 2,
            "approval_rate": 0.5,
            "mean_pd": pytest.approx(0.175),
            "disparate_impact": pytest.approx(0.5 / 0.75),
            "flagged": True,
        },
        {
            "group": "M",
            "count": 4,
            "approval_rate": 0.75,
            "mean_pd": pytest.approx(0.155),
            "disparate_impact": 1.0,
            "flagged": False,
        },
    ]


def test_a_ratio_of_at_least_four_fifths_is_not_flagged() -> None:
    rows = group_rows(
        ["a"] * 5 + ["b"] * 5,
        approved=np.array([True] * 4 + [False] + [True] * 5),
        pds=np.full(10, 0.05),
    )
    assert [(r["group"], r["disparate_impact"], r["flagged"]) for r in rows] == [
        ("a", pytest.approx(0.8), False),
        ("b", 1.0, False),
    ]


def test_ages_fall_in_bands_and_missing_values_form_their_own_group() -> None:
    frame = pd.DataFrame(
        {
            "age": [18, 24, 25, 40, 60, None],
            "gender": ["F", "M", "F", None, "M", "F"],
            "marital_status": ["single"] * 6,
        }
    )
    report = fairness_report(
        frame, [0.05, 0.15, 0.05, 0.05, 0.3, 0.05], schema=INDONESIAN_SCHEMA, thresholds=THRESHOLDS
    )
    assert list(report) == ["age", "gender", "marital_status"]
    assert [(r["group"], r["count"]) for r in report["age"]] == [
        ("0-24", 2),
        ("25-34", 1),
        ("35-44", 1),
        ("55+", 1),
        ("missing", 1),
    ]
    assert [(r["group"], r["approval_rate"]) for r in report["gender"]] == [
        ("F", 1.0),
        ("M", 0.0),
        ("missing", 1.0),
    ]
    assert [r["flagged"] for r in report["gender"]] == [False, True, False]


def test_training_stores_fairness_on_the_holdout_for_the_protected_fields(
    trained: TrainingResult,
) -> None:
    assert list(trained.fairness) == ["age", "gender", "marital_status"]
    for groups in trained.fairness.values():
        assert sum(row["count"] for row in groups) == trained.n_test
        assert max(row["disparate_impact"] for row in groups) == 1.0
