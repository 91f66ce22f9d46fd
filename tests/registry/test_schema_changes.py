"""Which schema changes refuse applications a loan system sends today (no database)."""

from __future__ import annotations

import dataclasses
from typing import Any

from credit_ml.schema import INDONESIAN_SCHEMA, ApplicationSchema, FieldSpec
from credit_ml.spec import DatasetSpec
from registry.selectors import schema_changes


def _changed(name: str, **change: Any) -> ApplicationSchema:
    """The built-in schema with one field changed."""
    fields = tuple(
        dataclasses.replace(spec, **change) if spec.name == name else spec
        for spec in INDONESIAN_SCHEMA.fields
    )
    return dataclasses.replace(INDONESIAN_SCHEMA, fields=fields)


def _added(spec: FieldSpec) -> ApplicationSchema:
    return dataclasses.replace(INDONESIAN_SCHEMA, fields=(*INDONESIAN_SCHEMA.fields, spec))


def _changes(candidate: ApplicationSchema) -> tuple[str, ...]:
    return schema_changes(serving=INDONESIAN_SCHEMA, candidate=candidate)


def test_the_same_schema_changes_nothing() -> None:
    assert _changes(INDONESIAN_SCHEMA) == ()


def test_a_narrower_range_a_whole_number_and_dropped_values_are_changes() -> None:
    assert _changes(_changed("age", minimum=21)) == ("age: minimum rises from 17 to 21",)
    assert _changes(_changed("loan_term_months", maximum=60)) == (
        "loan_term_months: maximum falls from 360 to 60",
    )
    assert _changes(_changed("work_experience_years", dtype="int")) == (
        "work_experience_years: must now be a whole number",
    )
    education = INDONESIAN_SCHEMA.field("education").choices[:-1]
    assert _changes(_changed("education", choices=education)) == (
        "education: no longer accepts S3",
    )
    assert _changes(_changed("full_name", max_length=60)) == (
        "full_name: maximum length falls from 120 to 60",
    )


def test_a_field_made_required_or_a_new_required_field_are_changes() -> None:
    assert _changes(_changed("province", required=False)) == ()
    assert _changes(_changed("address", required=True)) == ("address: becomes required",)
    new = FieldSpec("employer_sector", INDONESIAN_SCHEMA.field("gender").kind, "x", "x", "str")
    assert _changes(_added(new)) == ("employer_sector: a new required field",)
    assert _changes(_added(dataclasses.replace(new, required=False))) == ()


def test_wider_limits_and_more_values_change_nothing() -> None:
    assert _changes(_changed("age", minimum=16, maximum=90)) == ()
    more = (*INDONESIAN_SCHEMA.field("loan_purpose").choices, "WEDDING")
    assert _changes(_changed("loan_purpose", choices=more)) == ()
    assert _changes(_changed("loan_term_months", dtype="float")) == ()


def _spec(**column: Any) -> ApplicationSchema:
    return DatasetSpec.from_dict(
        {
            "name": "lender",
            "target": {"column": "bad", "default_values": [1]},
            "features": [{"name": "income", "type": "numeric"}, column],
        }
    ).schema()


def test_a_lender_field_that_changes_type_or_order_is_a_change() -> None:
    numeric = _spec(name="grade", type="numeric")
    text = _spec(name="grade", type="categorical")
    ordinal = _spec(name="grade", type="ordinal", order=["A", "B", "C"])
    shorter = _spec(name="grade", type="ordinal", order=["A", "B"])
    assert schema_changes(serving=numeric, candidate=text) == (
        "grade: changes from a number to text",
    )
    assert schema_changes(serving=text, candidate=ordinal) == ("grade: accepts only A, B, C now",)
    assert schema_changes(serving=ordinal, candidate=shorter) == ("grade: no longer accepts C",)
    assert schema_changes(serving=shorter, candidate=ordinal) == ()
