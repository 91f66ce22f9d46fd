from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from credit_ml.features import FeatureConfig, FeatureInputError
from credit_ml.preprocessing import (
    ENCODER_FORMAT,
    Encoder,
    EncodingError,
    fit_encoder,
)
from credit_ml.schema import INDONESIAN_SCHEMA, PURPOSE

Records = Callable[[pd.DataFrame], list[dict[str, Any]]]


def _fit(frame: pd.DataFrame, min_frequency: int = 1) -> Encoder:
    return fit_encoder(
        frame,
        schema=INDONESIAN_SCHEMA,
        feature_config=FeatureConfig(),
        min_frequency=min_frequency,
    )


@pytest.fixture(scope="module")
def encoder(applications: pd.DataFrame) -> Encoder:
    """Learnt without any COMPANY housing, so COMPANY is an unseen category later."""
    return _fit(applications[applications["housing_type"] != "COMPANY"])


@pytest.fixture(scope="module")
def awkward_rows(applications: pd.DataFrame) -> pd.DataFrame:
    """400 rows with missing optionals, an unseen category and a missing province."""
    rows = applications.iloc[:400].copy()
    rows.loc[rows.index[::3], "annual_interest_rate"] = np.nan
    rows.loc[rows.index[::4], "worst_collectibility_24m"] = pd.NA
    rows.loc[rows.index[::5], "active_lending_platforms"] = pd.NA
    rows.loc[rows.index[::7], "province"] = None
    rows.loc[rows.index[::6], "housing_type"] = "COMPANY"
    return rows


def test_encode_many_equals_the_transformed_rows_in_a_batch_or_one_by_one(
    encoder: Encoder, awkward_rows: pd.DataFrame, to_records: Records
) -> None:
    matrix = encoder.transform(awkward_rows)
    records = to_records(awkward_rows)
    encoded = encoder.encode_many(records)
    assert matrix.dtype == np.float32
    assert encoded.dtype == np.float32
    assert matrix.shape == (400, len(encoder.columns))
    assert np.array_equal(encoded, matrix, equal_nan=True)
    assert np.isnan(matrix).any()  # the awkward rows really exercised the missing values
    alone = np.vstack([encoder.encode_many([record]) for record in records[:40]])
    assert np.array_equal(alone, matrix[:40], equal_nan=True)
    assert encoder.encode_many([]).shape == (0, len(encoder.columns))


def test_encode_many_reads_numbers_that_are_not_plain_as_float_does(
    encoder: Encoder, to_records: Records, applications: pd.DataFrame
) -> None:
    record = to_records(applications.iloc[:1])[0]
    odd = {
        **record,
        "age": np.int64(record["age"]),
        "monthly_income": np.float64(record["monthly_income"]),
        "past_delinquencies": True,
        "credit_card_utilization": "0.25",
    }
    expected = encoder.encode_many(
        [{**record, "past_delinquencies": 1, "credit_card_utilization": 0.25}]
    )
    assert np.array_equal(encoder.encode_many([odd]), expected, equal_nan=True)


def test_encode_each_gives_each_applications_error_in_its_place(
    encoder: Encoder, to_records: Records, applications: pd.DataFrame
) -> None:
    good = to_records(applications.iloc[:4])
    records = [
        good[0],
        {**good[1], "past_delinquencies": "two", "age": "x"},  # age comes first
        {**good[2], "monthly_income": 0.0},
        {**good[3], "loan_term_months": 0, "monthly_income": -1.0},  # income is checked first
    ]
    rows, errors = encoder.encode_each(records)
    assert sorted(errors) == [1, 2, 3]
    assert isinstance(errors[1], EncodingError)
    assert str(errors[1]) == "age: must be numeric."
    assert all(isinstance(errors[i], FeatureInputError) for i in (2, 3))
    assert [str(errors[2]), str(errors[3])] == ["monthly_income: Must be a positive amount."] * 2
    assert np.array_equal(rows[0], encoder.encode_many(good[:1])[0], equal_nan=True)
    assert not rows[1:].any()
    with pytest.raises(EncodingError, match="age: must be numeric"):
        encoder.encode_many(records)
    term = {**good[0], "loan_term_months": 0}
    with pytest.raises(FeatureInputError, match="loan_term_months: Must be at least 1 month"):
        encoder.encode_many([good[1], term])


def test_model_inputs_exclude_identity_and_protected_fields(encoder: Encoder) -> None:
    groups = set(encoder.column_groups)
    assert groups.isdisjoint({"nik", "full_name", "phone", "email", "address", "application_id"})
    assert groups.isdisjoint({"gender", "marital_status"})
    assert "age" in groups
    assert encoder.columns[-5:] == (
        "new_installment",
        "dsr",
        "loan_to_income",
        "debt_to_income",
        "disposable_income",
    )


def test_one_hot_columns_belong_to_their_field_in_choice_order(encoder: Encoder) -> None:
    purpose = [
        c
        for c, g in zip(encoder.columns, encoder.column_groups, strict=True)
        if g == "loan_purpose"
    ]
    assert purpose == [f"loan_purpose={choice}" for choice in PURPOSE]
    housing = [c for c in encoder.columns if c.startswith("housing_type=")]
    assert housing == [
        "housing_type=OWN",
        "housing_type=MORTGAGE",
        "housing_type=FAMILY",
        "housing_type=RENT",
    ]


def test_an_unseen_category_encodes_as_all_zeros(
    encoder: Encoder, awkward_rows: pd.DataFrame
) -> None:
    matrix = encoder.transform(awkward_rows.iloc[[0]])  # row 0 was set to COMPANY
    housing = [i for i, g in enumerate(encoder.column_groups) if g == "housing_type"]
    assert awkward_rows.iloc[0]["housing_type"] == "COMPANY"
    assert matrix[0, housing].tolist() == [0.0, 0.0, 0.0, 0.0]


def test_categories_seen_fewer_than_min_frequency_times_are_dropped() -> None:
    frame = _tiny_frame(housing=["OWN", "OWN", "RENT", "OWN", "RENT", "FAMILY"])
    encoder = _fit(frame, min_frequency=2)
    assert [c for c in encoder.columns if c.startswith("housing")] == [
        "housing_type=OWN",
        "housing_type=RENT",
    ]
    family_row = encoder.transform(frame.iloc[[5]])[0]
    assert family_row[[encoder.columns.index("housing_type=OWN")]].tolist() == [0.0]
    assert family_row[[encoder.columns.index("housing_type=RENT")]].tolist() == [0.0]


def test_ordinal_fields_are_their_index_in_the_choices_and_missing_is_nan() -> None:
    frame = _tiny_frame(education=["SD", "S1", "S3", None, "SMA", "D3"])
    encoder = _fit(frame)
    column = encoder.transform(frame)[:, encoder.columns.index("education")]
    assert np.array_equal(column, [0.0, 4.0, 6.0, np.nan, 2.0, 3.0], equal_nan=True)


def test_numeric_fields_stay_raw_and_missing_is_nan() -> None:
    frame = _tiny_frame()
    frame["annual_interest_rate"] = [0.1, None, 0.2, 0.3, None, 0.15]
    encoder = _fit(frame)
    matrix = encoder.transform(frame)
    rate = matrix[:, encoder.columns.index("annual_interest_rate")]
    assert np.array_equal(
        rate, np.array([0.1, np.nan, 0.2, 0.3, np.nan, 0.15], dtype=np.float32), equal_nan=True
    )
    assert matrix[0, encoder.columns.index("monthly_income")] == 5_000_000.0


def test_derived_features_use_the_default_rate_when_the_rate_is_missing() -> None:
    frame = _tiny_frame()
    frame["annual_interest_rate"] = [0.0, None, 0.0, 0.0, 0.0, 0.0]
    frame["existing_monthly_installments"] = 0.0
    encoder = _fit(frame)
    matrix = encoder.transform(frame)
    dsr = matrix[:, encoder.columns.index("dsr")]
    # 12,000,000 over 12 months at 0 % is 1,000,000 a month on 5,000,000 income
    assert dsr[0] == np.float32(0.2)
    assert dsr[1] > np.float32(0.2)  # 18 % a year by default


def test_monotone_constraints_follow_the_schema(encoder: Encoder) -> None:
    constraints = dict(
        zip(encoder.columns, encoder.monotone_constraints(INDONESIAN_SCHEMA), strict=True)
    )
    assert {column: v for column, v in constraints.items() if v} == {
        "monthly_income": -1,
        "credit_card_utilization": 1,
        "past_delinquencies": 1,
        "worst_collectibility_24m": 1,
        "active_lending_platforms": 1,
        "dsr": 1,
    }
    assert constraints["housing_type=RENT"] == 0


def test_the_encoder_round_trips_through_json(encoder: Encoder, awkward_rows: pd.DataFrame) -> None:
    data = json.loads(json.dumps(encoder.to_dict()))
    restored = Encoder.from_dict(data)
    assert restored == encoder
    assert data["format"] == ENCODER_FORMAT
    assert data["columns"] == list(encoder.columns)
    assert np.array_equal(
        restored.transform(awkward_rows), encoder.transform(awkward_rows), equal_nan=True
    )


def test_an_encoder_of_another_format_is_refused(encoder: Encoder) -> None:
    with pytest.raises(EncodingError, match=re.escape("Not a kreditax.encoder/1 encoder")):
        Encoder.from_dict({**encoder.to_dict(), "format": "sklearn-pipeline"})


def test_an_encoder_whose_columns_disagree_with_its_fields_is_refused(encoder: Encoder) -> None:
    with pytest.raises(EncodingError, match="columns do not match"):
        Encoder.from_dict({**encoder.to_dict(), "columns": ["age"]})


def test_transform_names_the_missing_columns(encoder: Encoder, applications: pd.DataFrame) -> None:
    frame = applications.drop(columns=["age", "loan_amount"])
    with pytest.raises(EncodingError, match=re.escape("Missing columns: age, loan_amount.")):
        encoder.transform(frame)


def test_transform_refuses_text_in_a_numeric_column(
    encoder: Encoder, applications: pd.DataFrame
) -> None:
    frame = applications.iloc[:2].copy()
    frame["age"] = ["thirty", "forty"]
    with pytest.raises(EncodingError, match=re.escape("age: must be numeric.")):
        encoder.transform(frame)


def _tiny_frame(
    housing: list[str | None] | None = None, education: list[str | None] | None = None
) -> pd.DataFrame:
    n = 6
    return pd.DataFrame(
        {
            "age": [30] * n,
            "education": education or ["SMA"] * n,
            "housing_type": housing or ["OWN"] * n,
            "province": ["BALI"] * n,
            "employment_status": ["PERMANENT"] * n,
            "work_experience_years": [5.0] * n,
            "monthly_income": [5_000_000.0] * n,
            "existing_monthly_installments": [500_000.0] * n,
            "total_existing_debt": [1_000_000.0] * n,
            "loan_amount": [12_000_000.0] * n,
            "loan_term_months": [12] * n,
            "annual_interest_rate": [0.2] * n,
            "loan_purpose": ["OTHER"] * n,
            "credit_card_utilization": [0.3] * n,
            "past_delinquencies": [0] * n,
            "worst_collectibility_24m": [1] * n,
            "active_lending_platforms": [1] * n,
        }
    )
