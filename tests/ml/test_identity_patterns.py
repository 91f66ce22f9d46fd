"""The OpenAPI patterns of the identity fields agree with the server's checks: a value the
schema refuses is refused by the server, and a valid value is never refused by the schema."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credit_ml.identity import (
    EMAIL_PATTERN,
    NIK_PATTERN,
    PHONE_PATTERN,
    InvalidNik,
    is_valid_email,
    is_valid_phone,
    parse_nik,
)
from credit_ml.schema import PROVINCE_CODES

TODAY = date(2026, 12, 1)


def digits(n: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=n, max_size=n)


DIGITS = digits(16)
QUICK = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def nik_is_valid(nik: str) -> bool:
    try:
        parse_nik(nik, today=TODAY)
    except InvalidNik:
        return False
    return True


@st.composite
def nik_like(draw: st.DrawFn) -> str:
    """Mostly well-formed NIKs (a random 16-digit string is almost never one), with each
    part sometimes out of range."""
    province = draw(st.sampled_from(PROVINCE_CODES) | digits(2))
    area = draw(digits(4))
    day = draw(st.integers(0, 80))
    month = draw(st.integers(0, 13))
    year = draw(st.integers(0, 99))
    serial = draw(st.integers(0, 9999))
    return f"{province}{area}{day:02d}{month:02d}{year:02d}{serial:04d}"


@QUICK
@given(DIGITS | nik_like())
def test_a_nik_the_pattern_refuses_the_server_refuses(nik: str) -> None:
    if nik_is_valid(nik):
        assert re.fullmatch(NIK_PATTERN, nik)
    if not re.fullmatch(NIK_PATTERN, nik):
        assert not nik_is_valid(nik)


@QUICK
@given(nik_like())
def test_the_pattern_misses_only_what_a_pattern_cannot_say(nik: str) -> None:
    """Matching the pattern but refused: an impossible or future birth date, nothing else."""
    if re.fullmatch(NIK_PATTERN, nik) and not nik_is_valid(nik):
        with pytest.raises(InvalidNik, match=r"^NIK does not contain a real birth date\.$"):
            parse_nik(nik, today=TODAY)


def test_non_ascii_digits_are_refused_by_both() -> None:
    nik = "٣١٧٤٠٥٥٠٠١٩٠٠٠١"  # Arabic-Indic digits of a valid NIK
    assert not re.fullmatch(NIK_PATTERN, nik)
    assert not nik_is_valid(nik)


@QUICK
@given(
    st.tuples(st.sampled_from(["+62", "62", "0", "+6", "1"]), digits(1), st.integers(5, 13)).map(
        lambda t: t[0] + "8" + t[1] * t[2]
    )
    | st.text(max_size=20)
)
def test_the_phone_pattern_is_the_servers_check_without_spaces(phone: str) -> None:
    assert bool(re.fullmatch(PHONE_PATTERN, phone)) == is_valid_phone(phone) or re.search(
        r"[\s-]", phone
    )


@QUICK
@given(st.emails() | st.text(max_size=40))
def test_the_email_pattern_is_the_servers_check(email: str) -> None:
    assert bool(re.search(EMAIL_PATTERN, email)) == is_valid_email(email)
