"""NIK structure, phone and e-mail checks of ``credit_ml.identity``."""

from __future__ import annotations

from datetime import date

import pytest

from credit_ml.identity import (
    InvalidNik,
    NikInfo,
    identity_problems,
    is_valid_email,
    is_valid_phone,
    parse_nik,
)

TODAY = date(2026, 1, 1)
# province 32 (Jawa Barat), regency 01, district 01, born 15-05-1990, serial 0001
MALE_NIK = "3201011505900001"
FEMALE_NIK = "3201015505900002"  # day 15 + 40


def test_a_valid_male_nik_parses_into_its_parts() -> None:
    assert parse_nik(MALE_NIK, today=TODAY) == NikInfo(
        province_code="32",
        regency_code="01",
        district_code="01",
        birth_date=date(1990, 5, 15),
        sex="M",
        serial=1,
    )


def test_a_female_nik_has_forty_added_to_the_birth_day() -> None:
    info = parse_nik(FEMALE_NIK, today=TODAY)
    assert (info.birth_date, info.sex, info.serial) == (date(1990, 5, 15), "F", 2)


def test_a_two_digit_year_not_after_today_is_read_in_this_century() -> None:
    assert parse_nik("3578012001050123", today=TODAY).birth_date == date(2005, 1, 20)


@pytest.mark.parametrize(
    ("nik", "message"),
    [
        ("320101150590001", "NIK must be exactly 16 digits."),
        ("32010115059000011", "NIK must be exactly 16 digits."),
        ("32010115059000A1", "NIK must be exactly 16 digits."),
        ("3201-11505900001", "NIK must be exactly 16 digits."),
        ("9901011505900001", "NIK has an unknown province code."),
        ("3200011505900001", "NIK has an invalid regency or district code."),
        ("3201001505900001", "NIK has an invalid regency or district code."),
        ("3201013002900001", "NIK does not contain a real birth date."),  # 30 February
        ("3201017205900001", "NIK does not contain a real birth date."),  # woman, day 32
        ("3201013205900001", "NIK does not contain a real birth date."),  # man, day 32
        ("3201010013900001", "NIK does not contain a real birth date."),  # day 0, month 13
        ("3201011505900000", "NIK serial must start at 0001."),
    ],
)
def test_a_malformed_nik_is_refused_with_a_message_naming_the_part(nik: str, message: str) -> None:
    with pytest.raises(InvalidNik) as excinfo:
        parse_nik(nik, today=TODAY)
    assert str(excinfo.value) == message
    assert nik not in str(excinfo.value)


def test_a_birth_date_after_today_is_refused() -> None:
    with pytest.raises(InvalidNik, match="real birth date"):
        parse_nik("3201011505250001", today=date(2025, 1, 1))  # 15 May 2025


def test_a_birth_date_of_today_is_accepted() -> None:
    assert parse_nik("3201010101250001", today=date(2025, 1, 1)).birth_date == date(2025, 1, 1)


def test_a_nik_that_is_not_a_string_is_refused() -> None:
    with pytest.raises(InvalidNik, match="16 digits"):
        parse_nik(3201011505900001, today=TODAY)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "phone",
    ["081234567890", "081234567", "0812345678901", "6281234567890", "+6281234567890",
     "0812-3456-7890", "0812 3456 7890"],
)  # fmt: skip
def test_indonesian_mobile_numbers_with_7_to_11_digits_after_08_are_valid(phone: str) -> None:
    assert is_valid_phone(phone) is True


@pytest.mark.parametrize(
    "phone",
    ["0212345678", "08123456", "08123456789012", "+6221234567", "12345678901", "0812abc4567",
     ""],
)  # fmt: skip
def test_landlines_short_long_and_non_numeric_phones_are_invalid(phone: str) -> None:
    assert is_valid_phone(phone) is False


@pytest.mark.parametrize(
    "email", ["budi.santoso@gmail.com", "siti_rahayu99@yahoo.co.id", "a+b@mail-server.id"]
)
def test_ordinary_email_addresses_are_valid(email: str) -> None:
    assert is_valid_email(email) is True


@pytest.mark.parametrize(
    "email",
    [
        "budi@",
        "@gmail.com",
        "budi santoso@gmail.com",
        "budi@gmail",
        "budi@gmail.c",
        "budi.gmail.com",
    ],
)
def test_malformed_email_addresses_are_invalid(email: str) -> None:
    assert is_valid_email(email) is False


def test_identity_problems_names_each_wrong_field_and_only_those() -> None:
    problems = identity_problems(
        {"nik": "3201013002900001", "phone": "0212345678", "email": "budi@gmail.com"}
    )
    assert problems == {
        "nik": "NIK does not contain a real birth date.",
        "phone": "Must be an Indonesian mobile number such as 0812xxxxxxxx.",
    }


def test_identity_problems_ignores_absent_and_empty_fields() -> None:
    assert identity_problems({"nik": None, "phone": "", "full_name": "Budi"}) == {}
