"""The NIK against the other fields: the sex it encodes against ``gender``, its birth date
against ``age`` on the decision date; a mismatch names both fields."""

from __future__ import annotations

from datetime import date

import pytest

from credit_ml.identity import (
    age_matches_birth,
    exact_age,
    identity_problems,
    nik_cross_problems,
    parse_nik,
)
from credit_ml.schema import INDONESIAN_SCHEMA, ValidationFailed, validate_record
from scoring.examples import EXAMPLE_APPLICATION

#: The example applicant's NIK: a woman (day 45 = 5 + 40) born on 5 January 1990.
BORN = date(1990, 1, 5)
ON = date(2026, 3, 1)


@pytest.mark.parametrize(
    ("on", "age"),
    [
        (date(2026, 1, 4), 35),  # the day before the 36th birthday
        (date(2026, 1, 5), 36),  # on it
        (date(2026, 12, 31), 36),
    ],
)
def test_the_exact_age_counts_whole_years_completed(on: date, age: int) -> None:
    assert exact_age(BORN, on) == age


def test_a_29_february_birthday_completes_on_1_march() -> None:
    born = date(2004, 2, 29)
    assert (exact_age(born, date(2026, 2, 28)), exact_age(born, date(2026, 3, 1))) == (21, 22)


@pytest.mark.parametrize(
    ("age", "fits"), [(34, False), (35, True), (36, True), (37, True), (38, False)]
)
def test_the_exact_age_or_one_more_or_less_fits_and_two_off_does_not(age: int, fits: bool) -> None:
    assert exact_age(BORN, ON) == 36
    assert age_matches_birth(age, BORN, ON) is fits


def test_a_matching_nik_gender_and_age_pass() -> None:
    cleaned = validate_record(INDONESIAN_SCHEMA, EXAMPLE_APPLICATION, today=ON)
    assert (cleaned["nik"], cleaned["gender"], cleaned["age"]) == ("3171054501900001", "F", 36)
    assert nik_cross_problems(cleaned, on=ON) == {}


def test_a_woman_s_nik_with_gender_m_names_nik_and_gender() -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_record(INDONESIAN_SCHEMA, {**EXAMPLE_APPLICATION, "gender": "M"}, today=ON)
    assert caught.value.errors == {
        "nik": ["Does not match gender."],
        "gender": ["Does not match the sex the NIK encodes."],
    }


def test_a_man_s_nik_with_gender_f_is_refused_too() -> None:
    man = {**EXAMPLE_APPLICATION, "nik": "3171050501900001"}  # day 05: a man
    with pytest.raises(ValidationFailed) as caught:
        validate_record(INDONESIAN_SCHEMA, man, today=ON)
    assert set(caught.value.errors) == {"nik", "gender"}


def test_an_age_two_years_off_names_nik_and_age() -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_record(INDONESIAN_SCHEMA, {**EXAMPLE_APPLICATION, "age": 38}, today=ON)
    assert caught.value.errors == {
        "nik": ["Does not match age."],
        "age": ["Does not match the birth date the NIK encodes."],
    }


def test_both_mismatches_are_named_in_one_message_for_the_nik() -> None:
    body = {**EXAMPLE_APPLICATION, "age": 30, "gender": "M"}
    with pytest.raises(ValidationFailed) as caught:
        validate_record(INDONESIAN_SCHEMA, body, today=ON)
    assert caught.value.errors["nik"] == ["Does not match gender and age."]
    assert set(caught.value.errors) == {"nik", "gender", "age"}


def test_without_the_decision_date_or_identity_checks_there_is_no_cross_check() -> None:
    body = {**EXAMPLE_APPLICATION, "age": 50, "gender": "M"}
    assert validate_record(INDONESIAN_SCHEMA, body)["age"] == 50
    assert validate_record(INDONESIAN_SCHEMA, body, identity_checks=False, today=ON)["age"] == 50


def test_the_nik_s_form_is_judged_on_the_decision_date_not_on_the_real_today() -> None:
    """A woman born on 15 July 2026: before that day her NIK holds no real birth date; a
    year earlier, "26" is read as 1926 (the latest past century on that date)."""
    nik = "3171055507260001"
    assert identity_problems({"nik": nik}, on=date(2026, 12, 1)) == {}
    assert identity_problems({"nik": nik}, on=date(2026, 6, 1)) == {
        "nik": "NIK does not contain a real birth date."
    }
    assert parse_nik(nik, today=date(2025, 12, 1)).birth_date == date(1926, 7, 15)
    with pytest.raises(ValidationFailed) as caught:
        validate_record(
            INDONESIAN_SCHEMA, {**EXAMPLE_APPLICATION, "nik": nik}, today=date(2026, 6, 1)
        )
    assert caught.value.errors["nik"] == ["NIK does not contain a real birth date."]
