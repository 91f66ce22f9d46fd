"""The example application derived from a spec: what the readiness check scores."""

from __future__ import annotations

from pathlib import Path

from credit_ml.schema import validate_record
from credit_ml.spec import EXAMPLE_CATEGORY, DatasetSpec, example_application, load_spec

SPECS = Path(__file__).resolve().parents[2] / "examples" / "specs"


def test_the_example_of_each_shipped_spec_is_a_valid_application() -> None:
    for path in sorted(SPECS.glob("*.yaml")):
        spec = load_spec(path)
        example = example_application(spec)
        cleaned = validate_record(spec.schema(), example, identity_checks=False)
        assert set(cleaned) >= set(example), path.name


def test_the_example_takes_a_number_the_lowest_ordinal_and_a_placeholder_category() -> None:
    spec = DatasetSpec.from_dict(
        {
            "name": "lender",
            "target": {"column": "bad", "default_values": [1]},
            "features": [
                {"name": "income", "type": "numeric"},
                {"name": "grade", "type": "ordinal", "order": ["A", "B"]},
                {"name": "region", "type": "categorical"},
            ],
            "drop": ["customer_id"],
            "protected": [{"name": "age", "type": "numeric"}],
        }
    )
    assert example_application(spec) == {
        "income": 0.0,
        "grade": "A",
        "region": EXAMPLE_CATEGORY,
        "age": 0.0,
    }
