"""Missing values in a lender's file: the spec's markers, and which columns may have gaps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from credit_ml.datasets import missing_shares
from credit_ml.spec import (
    DEFAULT_MISSING_VALUES,
    DatasetSpec,
    DatasetSpecError,
    read_training_frame,
)
from credit_ml.training import TrainingDataError

#: A "Give Me Some Credit"-like file: monthly income and dependants are missing as text.
SPEC: dict[str, Any] = {
    "name": "cs-training",
    "target": {"column": "SeriousDlqin2yrs", "default_values": [1]},
    "features": [
        {"name": "age", "type": "numeric"},
        {"name": "DebtRatio", "type": "numeric"},
        {"name": "MonthlyIncome", "type": "numeric", "missing": "allowed"},
        {"name": "NumberOfDependents", "type": "numeric"},
        {"name": "region", "type": "categorical"},
    ],
    "drop": ["id"],
    "min_rows": 20,
}
MARKERS = ["", "NA", "N/A", "NULL", "null", "NaN", ".", " NA "]


def _frame(rows: int = 40) -> pd.DataFrame:
    """As the file holds it (text): the markers in the first rows of MonthlyIncome."""
    rng = np.random.default_rng(3)
    income = [str(v) for v in rng.integers(2_000, 15_000, rows)]
    income[: len(MARKERS)] = MARKERS
    return pd.DataFrame(
        {
            "id": [str(i) for i in range(rows)],
            "SeriousDlqin2yrs": ["1", "0"] * (rows // 2),
            "age": [str(v) for v in rng.integers(21, 80, rows)],
            "DebtRatio": [f"{v:.3f}" for v in rng.random(rows)],
            "MonthlyIncome": income,
            "NumberOfDependents": ["NA", *[str(v) for v in rng.integers(0, 4, rows - 1)]],
            "region": ["NA", "north", *rng.choice(["north", "south"], rows - 2)],
        }
    )


def _write(tmp_path: Path, frame: pd.DataFrame, name: str = "cs-training.csv") -> Path:
    path = tmp_path / name
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)
    return path


def test_the_default_markers_are_missing_values_not_text(tmp_path: Path) -> None:
    spec = DatasetSpec.from_dict(SPEC)
    assert spec.missing_values == DEFAULT_MISSING_VALUES
    frame = read_training_frame(_write(tmp_path, _frame()), spec)
    assert frame["MonthlyIncome"].isna().tolist()[:10] == [True] * 8 + [False] * 2
    assert frame["MonthlyIncome"].dtype == np.float64
    assert frame["NumberOfDependents"].isna().sum() == 1
    assert frame["region"].isna().tolist()[:2] == [True, False]  # "NA" is no category
    assert missing_shares(frame, spec.schema()) == {
        "age": 0.0,
        "DebtRatio": 0.0,
        "MonthlyIncome": 8 / 40,
        "NumberOfDependents": 1 / 40,
        "region": 1 / 40,
    }


def test_a_spec_names_its_own_markers(tmp_path: Path) -> None:
    spec = DatasetSpec.from_dict({**SPEC, "missing_values": ["", "-999"]})
    frame = _frame().assign(MonthlyIncome=["-999", *["5000"] * 39], NumberOfDependents="1")
    read = read_training_frame(_write(tmp_path, frame), spec)
    assert read["MonthlyIncome"].isna().sum() == 1
    assert read["region"].tolist()[0] == "NA"  # not a marker of this spec: a category
    with pytest.raises(TrainingDataError, match="'MonthlyIncome' is numeric but holds text"):
        read_training_frame(_write(tmp_path, _frame()), spec)


def test_numeric_markers_are_found_in_a_parquet_files_numbers(tmp_path: Path) -> None:
    spec = DatasetSpec.from_dict({**SPEC, "missing_values": ["", "-999"]})
    frame = _frame().assign(
        MonthlyIncome=[-999.0, *[5000.0] * 39], NumberOfDependents=1, region="north"
    )
    read = read_training_frame(_write(tmp_path, frame, "cs.parquet"), spec)
    assert read["MonthlyIncome"].isna().tolist()[:2] == [True, False]


def test_a_column_whose_missing_values_are_refused_names_the_rows(tmp_path: Path) -> None:
    features = [
        {**f, "missing": "refused"} if f["name"] == "NumberOfDependents" else f
        for f in SPEC["features"]
    ]
    spec = DatasetSpec.from_dict({**SPEC, "features": features})
    with pytest.raises(TrainingDataError) as caught:
        read_training_frame(_write(tmp_path, _frame()), spec)
    assert str(caught.value) == (
        "Column 'NumberOfDependents' is missing in 1 row(s), e.g. data row 1, but the spec "
        "says 'missing: refused'."
    )


def test_missing_allowed_makes_the_field_optional_for_the_loan_systems() -> None:
    spec = DatasetSpec.from_dict(SPEC)
    schema = spec.schema()
    assert schema.field("MonthlyIncome").required is False
    assert schema.field("NumberOfDependents").required is True  # not said: as before
    assert DatasetSpec.from_dict(spec.to_dict()) == spec
    assert spec.to_dict()["features"][2] == {
        "name": "MonthlyIncome",
        "type": "numeric",
        "required": False,
        "missing": "allowed",
    }
    kept = [
        {**f, "required": True} if f["name"] == "MonthlyIncome" else f for f in SPEC["features"]
    ]
    assert (
        DatasetSpec.from_dict({**SPEC, "features": kept}).schema().field("MonthlyIncome").required
        is True
    )


@pytest.mark.parametrize(
    ("column", "message"),
    [
        ({"missing": "sometimes"}, "income: missing must be 'allowed' or 'refused'."),
        ({"missing": "refused", "required": False}, "cannot be optional"),
    ],
)
def test_a_bad_missing_setting_is_refused(column: dict[str, Any], message: str) -> None:
    with pytest.raises(DatasetSpecError, match=message):
        DatasetSpec.from_dict(
            {**SPEC, "features": [{"name": "income", "type": "numeric", **column}]}
        )


def test_missing_values_must_be_a_list() -> None:
    with pytest.raises(DatasetSpecError, match="'missing_values' must list"):
        DatasetSpec.from_dict({**SPEC, "missing_values": "NA"})
