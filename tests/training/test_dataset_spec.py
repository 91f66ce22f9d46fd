"""credit_ml.spec: a lender's spec builds the usual schema, and bad data is named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from credit_ml.schema import FieldKind
from credit_ml.spec import DatasetSpec, DatasetSpecError, load_spec, read_training_frame
from credit_ml.training import TrainingDataError

SPEC: dict[str, Any] = {
    "name": "lender",
    "version": "2",
    "target": {"column": "status", "default_values": ["bad"]},
    "features": [
        {"name": "income", "type": "numeric", "monotone": -1},
        {"name": "region", "type": "categorical"},
        {"name": "grade", "type": "ordinal", "order": ["A", "B", "C"], "monotone": 1},
    ],
    "drop": ["customer_id"],
    "protected": [{"name": "sex", "type": "categorical"}],
    "min_rows": 20,
}


def _frame(rows: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "customer_id": [f"C{i:04d}" for i in range(rows)],
            "income": rng.integers(1, 100, rows).astype(str),
            "region": rng.choice(["north", "south"], rows),
            "grade": rng.choice(["A", "B", "C"], rows),
            "sex": rng.choice(["F", "M"], rows),
            "status": ["bad", "good"] * (rows // 2),
        }
    )


def _write(tmp_path: Path, frame: pd.DataFrame) -> Path:
    path = tmp_path / "lender.csv"
    frame.to_csv(path, index=False)
    return path


def test_the_spec_builds_a_schema_without_protected_or_identity_model_fields() -> None:
    schema = DatasetSpec.from_dict(SPEC).schema()
    assert schema.version == "lender-2"
    assert schema.target == "status"
    assert [s.name for s in schema.model_fields] == ["income", "region", "grade"]
    assert schema.identity_fields == ("customer_id",)
    assert schema.protected_fields == ("sex",)
    assert schema.field("grade").kind is FieldKind.ORDINAL
    assert schema.field("grade").choices == ("A", "B", "C")
    assert schema.field("income").monotone == -1
    assert schema.field("sex").required is False


def test_a_weight_column_reaches_the_schema_and_never_the_features(tmp_path: Path) -> None:
    spec = DatasetSpec.from_dict({**SPEC, "weight": "exposure"})
    frame = read_training_frame(_write(tmp_path, _frame().assign(exposure="2.5")), spec)

    schema = spec.schema()

    assert schema.weight == "exposure"
    assert "exposure" not in [s.name for s in schema.model_fields]
    assert frame["exposure"].tolist() == [2.5] * 40
    assert DatasetSpec.from_dict(SPEC).schema().weight is None


def test_the_spec_round_trips_through_its_dict() -> None:
    spec = DatasetSpec.from_dict(SPEC)
    assert DatasetSpec.from_dict(spec.to_dict()) == spec


def test_a_yaml_spec_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(
        "name: lender\ntarget: {column: status, default_values: [bad]}\n"
        "features:\n  - {name: income, type: numeric}\n"
    )
    assert load_spec(path).features[0].name == "income"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"target": {"column": "status"}}, "'target.default_values' must list"),
        ({"features": []}, "'features' must be a list"),
        ({"features": [{"name": "x", "type": "text"}]}, "x: type must be numeric"),
        ({"features": [{"name": "g", "type": "ordinal"}]}, "g: an ordinal column needs"),
        ({"features": [{"name": "r", "type": "categorical", "monotone": 1}]}, "r: monotone"),
        ({"drop": ["income"]}, "more than once: ['income']"),
        ({"colour": "red"}, "Unknown spec key(s): colour."),
    ],
)
def test_a_malformed_spec_is_refused_naming_the_problem(
    change: dict[str, Any], message: str
) -> None:
    with pytest.raises(DatasetSpecError) as caught:
        DatasetSpec.from_dict({**SPEC, **change})
    assert message in str(caught.value)


def test_a_good_file_maps_the_target_to_0_1_and_types_the_columns(tmp_path: Path) -> None:
    frame = read_training_frame(_write(tmp_path, _frame()), DatasetSpec.from_dict(SPEC))
    assert frame["status"].tolist()[:4] == [1, 0, 1, 0]
    assert frame["income"].dtype == np.float64
    assert set(frame["grade"]) == {"A", "B", "C"}


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda f: f.drop(columns=["region"]), "lender.csv lacks columns the spec names: region."),
        (
            lambda f: f.assign(extra=1),
            "lender.csv has columns the spec does not mention: extra",
        ),
        (lambda f: f.assign(status="good"), "The target 'status' has only one class"),
        (lambda f: f.head(19), "lender.csv has 19 rows; the spec asks for at least 20."),
        (
            lambda f: f.assign(income=["12", "abc", *["3"] * 38]),
            "Column 'income' is numeric but holds text, e.g. 'abc' in data row 2",
        ),
        (
            lambda f: f.assign(grade=["A", "Z", *["B"] * 38]),
            "Column 'grade' has values outside its order: ['Z'].",
        ),
        (
            lambda f: f.assign(status=[None, *["bad", "good"] * 19, "bad"]),
            "The target 'status' is missing in 1 row(s).",
        ),
    ],
)
def test_bad_data_is_refused_naming_the_problem(tmp_path: Path, mangle: Any, message: str) -> None:
    path = _write(tmp_path, mangle(_frame()))
    with pytest.raises(TrainingDataError) as caught:
        read_training_frame(path, DatasetSpec.from_dict(SPEC))
    assert message in str(caught.value)


def test_duplicate_columns_are_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, _frame())
    lines = path.read_text().splitlines()
    lines = [lines[0] + ",income"] + [line + ",1" for line in lines[1:]]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(TrainingDataError, match="duplicate columns: income"):
        read_training_frame(path, DatasetSpec.from_dict(SPEC))
