"""The synthetic application generator: schema conformance, identities, realism and risk."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from credit_ml.datasets import column_dtypes
from credit_ml.features import derive_features
from credit_ml.identity import is_valid_email, is_valid_phone, parse_nik
from credit_ml.schema import (
    INDONESIAN_SCHEMA,
    PROVINCE_CHOICES,
    PROVINCE_CODES,
    WORKING_AGE,
    validate_record,
)
from credit_ml.synthetic import (
    REFERENCE_DATE,
    default_probability,
    generate_applications,
    latent_logit,
)

ROWS = 50_000
DSR_INPUTS = (
    "monthly_income",
    "existing_monthly_installments",
    "total_existing_debt",
    "loan_amount",
    "loan_term_months",
    "annual_interest_rate",
)
CODE_OF_PROVINCE = dict(zip(PROVINCE_CHOICES, PROVINCE_CODES, strict=True))


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return generate_applications(ROWS, seed=7)


def _record(row: dict[str, Any]) -> dict[str, Any]:
    """A row as an API would send it: missing optional values as None, numpy as Python."""
    record: dict[str, Any] = {}
    for name in INDONESIAN_SCHEMA.names:
        value = row[name]
        if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
            record[name] = None
        else:
            record[name] = value.item() if isinstance(value, np.generic) else value
    return record


def _age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _rates(frame: pd.DataFrame, groups: pd.Series) -> list[float]:
    rates: list[float] = frame.groupby(groups, observed=True)["is_default"].mean().tolist()
    return rates


# --------------------------------------------------------------------------------------
# Shape, determinism, dtypes
# --------------------------------------------------------------------------------------


def test_the_same_seed_gives_an_identical_frame() -> None:
    pd.testing.assert_frame_equal(
        generate_applications(2_000, seed=3), generate_applications(2_000, seed=3), check_exact=True
    )


def test_different_seeds_give_different_frames() -> None:
    first, second = generate_applications(2_000, seed=3), generate_applications(2_000, seed=4)
    assert (first["monthly_income"] != second["monthly_income"]).mean() > 0.9
    assert (first["nik"] != second["nik"]).all()


def test_every_schema_field_comes_in_schema_order_then_the_label_and_true_pd(
    frame: pd.DataFrame,
) -> None:
    assert list(frame.columns) == [*INDONESIAN_SCHEMA.names, "is_default", "true_pd"]
    assert len(frame) == ROWS
    assert isinstance(frame.index, pd.RangeIndex)


def test_dtypes_follow_the_dataset_contract(frame: pd.DataFrame) -> None:
    expected = {**column_dtypes(), "true_pd": "float64"}
    assert {name: str(dtype) for name, dtype in frame.dtypes.items()} == expected


def test_zero_rows_give_an_empty_frame_with_every_column() -> None:
    empty = generate_applications(0, seed=1)
    assert empty.shape == (0, len(INDONESIAN_SCHEMA.names) + 2)


def test_a_negative_row_count_is_refused() -> None:
    with pytest.raises(ValueError, match="rows must not be negative"):
        generate_applications(-1, seed=1)


# --------------------------------------------------------------------------------------
# Every value passes the schema
# --------------------------------------------------------------------------------------


def test_a_sample_of_rows_passes_schema_validation(frame: pd.DataFrame) -> None:
    sample = frame.sample(1_000, random_state=0)
    for row in sample.to_dict("records"):
        validate_record(INDONESIAN_SCHEMA, _record(row))  # raises ValidationFailed otherwise


def test_every_value_is_within_its_fields_bounds_and_choices(frame: pd.DataFrame) -> None:
    for spec in INDONESIAN_SCHEMA.fields:
        column = frame[spec.name]
        if spec.required:
            assert column.notna().all(), spec.name
        values = column.dropna()
        if spec.choices:
            assert set(values) <= set(spec.choices), spec.name
        if spec.minimum is not None:
            assert values.min() >= spec.minimum, spec.name
        if spec.maximum is not None:
            assert values.max() <= spec.maximum, spec.name
        if spec.max_length is not None:
            assert values.str.len().max() <= spec.max_length, spec.name


def test_work_experience_never_exceeds_the_working_life_the_age_allows(
    frame: pd.DataFrame,
) -> None:
    assert (frame["work_experience_years"] <= frame["age"] - WORKING_AGE).all()
    assert (frame["existing_monthly_installments"] <= 10 * frame["monthly_income"]).all()


def test_ages_run_from_21_to_65_and_most_applicants_are_25_to_50(frame: pd.DataFrame) -> None:
    assert frame["age"].between(21, 65).all()
    assert frame["age"].min() == 21
    assert 0.7 < frame["age"].between(25, 50).mean() < 0.95


# --------------------------------------------------------------------------------------
# Identity fields
# --------------------------------------------------------------------------------------


def test_every_nik_is_valid_and_matches_the_province_age_and_gender(frame: pd.DataFrame) -> None:
    sample = frame.sample(5_000, random_state=1)
    for nik, province, age, gender in sample[["nik", "province", "age", "gender"]].itertuples(
        index=False
    ):
        info = parse_nik(nik, today=REFERENCE_DATE)
        assert info.province_code == CODE_OF_PROVINCE[province]
        assert _age_on(info.birth_date, REFERENCE_DATE) == age
        assert info.sex == gender


@pytest.mark.parametrize("reference", [date(2025, 7, 15), date(2024, 2, 29), date(2030, 12, 31)])
def test_birth_dates_follow_the_reference_date(reference: date) -> None:
    frame = generate_applications(2_000, seed=5, reference_date=reference)
    for nik, age in frame[["nik", "age"]].itertuples(index=False):
        assert _age_on(parse_nik(nik, today=reference).birth_date, reference) == age


def test_women_have_forty_added_to_the_nik_birth_day(frame: pd.DataFrame) -> None:
    day = frame["nik"].str.slice(6, 8).astype(int)
    assert ((day > 40) == (frame["gender"] == "F")).all()


def test_phones_and_emails_are_well_formed(frame: pd.DataFrame) -> None:
    assert frame["phone"].str.startswith("08").all()
    assert all(is_valid_phone(phone) for phone in frame["phone"])
    assert all(is_valid_email(email) for email in frame["email"])


def test_application_ids_are_unique(frame: pd.DataFrame) -> None:
    assert frame["application_id"].is_unique
    assert frame["application_id"].iloc[0] == "SYN7-0000001"


def test_names_are_one_to_four_words_of_letters(frame: pd.DataFrame) -> None:
    words = frame["full_name"].str.split(" ").str.len()
    assert words.between(1, 4).all()
    assert frame["full_name"].str.fullmatch(r"[A-Z][a-z]+( [A-Z][a-z]+)*").all()


def test_most_rows_have_an_address_and_some_do_not(frame: pd.DataFrame) -> None:
    assert 0.80 < frame["address"].notna().mean() < 0.90
    assert frame["address"].dropna().str.startswith("Jl. ").all()


# --------------------------------------------------------------------------------------
# Realism
# --------------------------------------------------------------------------------------


def test_the_median_income_is_between_5_and_7_million_rupiah(frame: pd.DataFrame) -> None:
    assert 5_000_000 <= frame["monthly_income"].median() <= 7_000_000


def test_jakarta_has_the_highest_median_income(frame: pd.DataFrame) -> None:
    by_province = frame.groupby("province")["monthly_income"].median()
    assert by_province.idxmax() == "DKI_JAKARTA"
    assert by_province["DKI_JAKARTA"] > 1.5 * by_province["NUSA_TENGGARA_TIMUR"]


def test_the_three_largest_provinces_are_in_java(frame: pd.DataFrame) -> None:
    largest = frame["province"].value_counts().index[:3]
    assert set(largest) == {"JAWA_BARAT", "JAWA_TIMUR", "JAWA_TENGAH"}


def test_education_raises_income(frame: pd.DataFrame) -> None:
    medians = frame.groupby("education")["monthly_income"].median()
    assert medians["SD"] < medians["SMA"] < medians["S1"] < medians["S2"]


def test_the_unemployed_are_rare_and_earn_little(frame: pd.DataFrame) -> None:
    unemployed = frame["employment_status"] == "UNEMPLOYED"
    assert 0.01 < unemployed.mean() < 0.03
    assert frame.loc[unemployed, "monthly_income"].median() < 0.5 * frame["monthly_income"].median()


def test_vehicle_loans_are_larger_and_longer_than_consumer_goods_loans(
    frame: pd.DataFrame,
) -> None:
    vehicle = frame[frame["loan_purpose"] == "VEHICLE"]
    goods = frame[frame["loan_purpose"] == "CONSUMER_GOODS"]
    assert vehicle["loan_amount"].median() > 2 * goods["loan_amount"].median()
    assert vehicle["loan_term_months"].median() > goods["loan_term_months"].median()
    assert set(frame["loan_term_months"]) <= {3, 6, 12, 18, 24, 36, 48, 60}


def test_interest_rates_lie_between_10_and_36_percent_with_about_5_percent_missing(
    frame: pd.DataFrame,
) -> None:
    rates = frame["annual_interest_rate"]
    assert 0.04 < rates.isna().mean() < 0.06
    assert rates.dropna().between(0.10, 0.36).all()
    assert rates.min() == 0.10


def test_about_15_percent_have_no_slik_history(frame: pd.DataFrame) -> None:
    no_history = frame["worst_collectibility_24m"].isna()
    assert 0.12 < no_history.mean() < 0.18
    assert (frame.loc[no_history, "past_delinquencies"] == 0).all()
    assert 0.05 < frame["active_lending_platforms"].isna().mean() < 0.11


# --------------------------------------------------------------------------------------
# The label and the latent risk model
# --------------------------------------------------------------------------------------


def test_the_default_rate_is_between_8_and_12_percent(frame: pd.DataFrame) -> None:
    assert set(frame["is_default"].unique()) == {0, 1}
    assert 0.08 <= frame["is_default"].mean() <= 0.12


def test_the_ceiling_auc_is_between_0_80_and_0_86(frame: pd.DataFrame) -> None:
    assert 0.80 <= roc_auc_score(frame["is_default"], frame["true_pd"]) <= 0.86


def test_true_pd_is_the_sigmoid_of_the_documented_logit(frame: pd.DataFrame) -> None:
    head = frame.head(1_000)
    assert np.array_equal(default_probability(head), head["true_pd"].to_numpy())
    assert np.allclose(1 / (1 + np.exp(-latent_logit(head))), head["true_pd"], rtol=1e-12)


def test_true_pd_ignores_identity_and_protected_fields(frame: pd.DataFrame) -> None:
    head = frame.head(1_000)
    swapped = head.assign(
        gender=head["gender"].map({"M": "F", "F": "M"}),
        marital_status="SINGLE",
        full_name="Budi",
        nik="3201011505900001",
        province="PAPUA",
    )
    assert np.array_equal(default_probability(swapped), head["true_pd"].to_numpy())


@pytest.mark.parametrize(
    ("field", "change"),
    [
        ("past_delinquencies", lambda s: s + 1),
        ("worst_collectibility_24m", lambda s: (s + 1).clip(upper=5)),
        ("credit_card_utilization", lambda s: (s + 0.1).clip(upper=1.0)),
        ("active_lending_platforms", lambda s: s + 1),
        ("existing_monthly_installments", lambda s: s + 500_000),
        ("loan_amount", lambda s: s * 1.5),
        ("monthly_income", lambda s: s * 0.8),
    ],
)
def test_the_latent_risk_never_falls_when_a_field_moves_in_its_risky_direction(
    frame: pd.DataFrame, field: str, change: Any
) -> None:
    head = frame.head(5_000)
    riskier = head.assign(**{field: change(head[field])})
    assert (latent_logit(riskier) >= latent_logit(head)).all()


def test_the_default_rate_rises_with_past_delinquencies(frame: pd.DataFrame) -> None:
    rates = _rates(frame, frame["past_delinquencies"].clip(upper=2))
    assert rates[0] < rates[1] < rates[2]


def test_the_default_rate_rises_with_worst_collectibility(frame: pd.DataFrame) -> None:
    rates = _rates(frame, frame["worst_collectibility_24m"].clip(upper=3))
    assert rates[0] < rates[1] < rates[2]


def test_the_default_rate_rises_with_active_lending_platforms(frame: pd.DataFrame) -> None:
    rates = _rates(frame, frame["active_lending_platforms"].clip(upper=3))
    assert rates == sorted(rates)


def test_the_default_rate_rises_with_credit_card_utilization_among_card_holders(
    frame: pd.DataFrame,
) -> None:
    holders = frame[frame["credit_card_utilization"] > 0]
    rates = _rates(holders, pd.qcut(holders["credit_card_utilization"], 3))
    assert rates == sorted(rates)


def test_the_default_rate_rises_across_dsr_bands(frame: pd.DataFrame) -> None:
    columns = {name: frame[name].to_numpy(dtype=float, na_value=np.nan) for name in DSR_INPUTS}
    dsr = derive_features(columns)["dsr"]
    rates = _rates(frame, pd.cut(dsr, [0.0, 0.3, 0.5, 0.8, np.inf]))
    assert rates == sorted(rates)
    assert rates[-1] > 4 * rates[0]


def test_the_default_rate_falls_with_income(frame: pd.DataFrame) -> None:
    rates = _rates(frame, pd.qcut(frame["monthly_income"], 4))
    assert rates == sorted(rates, reverse=True)
