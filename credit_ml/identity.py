"""Identity fields: NIK structure, phone and e-mail checks.

A NIK is 16 digits: province (2), regency (2), district (2), birth date DDMMYY with
40 added to the day for women, and a serial from 0001. The date part must be a real date.
These helpers validate and parse; they never log or keep the value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from credit_ml.schema import PROVINCE_CODES, PROVINCES

# [0-9], never \d: \d and str.isdigit() accept Arabic-Indic or full-width digits, which would
# give the same number a second look-up digest that a compliance search never finds.
_NIK_RE = re.compile(r"[0-9]{16}")
#: What the API's OpenAPI schema says of each identity field (``pattern``, ECMA-262 and Python
#: alike). The NIK's: a known province, regency and district not 00, a day 01-31 (41-71 for
#: women) and month 01-12, a serial from 0001; what it cannot say (a real date, not in the
#: future) ``parse_nik`` checks. A value the schema refuses is refused by the server too
#: (``tests/ml/test_identity_patterns.py``). Phones are shown without the spaces and dashes
#: the server ignores; surrounding spaces are ignored too.
NIK_PATTERN = (
    "^(" + "|".join(PROVINCE_CODES) + ")(?!00)[0-9]{2}(?!00)[0-9]{2}"
    "(0[1-9]|[12][0-9]|3[01]|4[1-9]|[56][0-9]|7[01])(0[1-9]|1[0-2])[0-9]{2}(?!0000)[0-9]{4}$"
)
PHONE_PATTERN = r"^(\+62|62|0)8[0-9]{7,11}$"
EMAIL_PATTERN = r"^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$"
IDENTITY_PATTERNS: dict[str, str] = {
    "nik": NIK_PATTERN,
    "phone": PHONE_PATTERN,
    "email": EMAIL_PATTERN,
}
_PHONE_RE = re.compile(PHONE_PATTERN)
_EMAIL_RE = re.compile(EMAIL_PATTERN)


class InvalidNik(ValueError):
    """The NIK is malformed; the message names the part that is wrong, never the NIK."""


@dataclass(frozen=True)
class NikInfo:
    province_code: str
    regency_code: str
    district_code: str
    birth_date: date
    sex: str  # "M" or "F"
    serial: int


def parse_nik(nik: str, *, today: date | None = None) -> NikInfo:
    """Parse and validate a NIK of 16 ASCII digits.

    Two-digit years are read as the latest past century.
    """
    if not isinstance(nik, str) or not _NIK_RE.fullmatch(nik):
        raise InvalidNik("NIK must be exactly 16 digits.")
    province, regency, district = nik[0:2], nik[2:4], nik[4:6]
    if province not in PROVINCES:
        raise InvalidNik("NIK has an unknown province code.")
    if regency == "00" or district == "00":
        raise InvalidNik("NIK has an invalid regency or district code.")
    day, month, year2 = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    sex = "F" if day > 40 else "M"
    if day > 40:
        day -= 40
    today = today or date.today()
    year = 2000 + year2 if 2000 + year2 <= today.year else 1900 + year2
    try:
        birth = date(year, month, day)
    except ValueError:
        raise InvalidNik("NIK does not contain a real birth date.") from None
    if birth > today:
        raise InvalidNik("NIK does not contain a real birth date.")
    serial = int(nik[12:16])
    if serial == 0:
        raise InvalidNik("NIK serial must start at 0001.")
    return NikInfo(province, regency, district, birth, sex, serial)


def is_valid_phone(phone: str) -> bool:
    """Indonesian mobile numbers: 08…, 628… or +628…, then 7 to 11 more ASCII digits.

    Spaces and dashes are ignored.
    """
    return bool(_PHONE_RE.fullmatch(re.sub(r"[\s-]", "", phone)))


def is_valid_email(email: str) -> bool:
    return bool(_EMAIL_RE.match(email))


def identity_problems(values: Mapping[str, Any], *, on: date | None = None) -> dict[str, str]:
    """Field name to a message for every identity field whose form is wrong; a NIK's birth
    date is judged on the decision date ``on`` (default: today), as ``parse_nik`` does."""
    problems: dict[str, str] = {}
    nik = values.get("nik")
    if isinstance(nik, str) and nik:
        try:
            parse_nik(nik, today=on)
        except InvalidNik as exc:
            problems["nik"] = str(exc)
    phone = values.get("phone")
    if isinstance(phone, str) and phone and not is_valid_phone(phone):
        problems["phone"] = "Must be an Indonesian mobile number such as 0812xxxxxxxx."
    email = values.get("email")
    if isinstance(email, str) and email and not is_valid_email(email):
        problems["email"] = "Must be a valid e-mail address."
    return problems


#: How far from a birthday the age on its either side still fits: a year, so a stated age
#: one more or one less than the exact age fits (an age given as of a reference date
#: within the past year, or as of the coming birthday); two years off never fits.
BIRTHDAY_WINDOW_DAYS = 366


def _birthday(birth: date, year: int) -> date:
    """The birthday in ``year`` (29 February falls on 1 March in other years)."""
    try:
        return birth.replace(year=year)
    except ValueError:
        return date(year, 3, 1)


def exact_age(birth: date, on: date) -> int:
    """Whole years completed on ``on`` (a 29 February birthday completes on 1 March)."""
    this_year = _birthday(birth, on.year)
    return on.year - birth.year - (1 if this_year > on else 0)


def age_matches_birth(age: int, birth: date, on: date) -> bool:
    """Whether a stated ``age`` fits the birth date on the decision date ``on``.

    The exact age (``exact_age``: whole years completed on ``on``) fits. The age after the
    next birthday (exact + 1) fits when that birthday is at most ``BIRTHDAY_WINDOW_DAYS``
    after ``on``; the age before the last birthday (exact - 1) fits when that birthday was
    at most ``BIRTHDAY_WINDOW_DAYS`` before ``on``. With a window of a year that is the
    exact age or one more or less; nothing else fits.
    """
    exact = exact_age(birth, on)
    if age == exact:
        return True
    if age == exact + 1:
        return (_birthday(birth, birth.year + exact + 1) - on).days <= BIRTHDAY_WINDOW_DAYS
    if age == exact - 1:
        return (on - _birthday(birth, birth.year + exact)).days <= BIRTHDAY_WINDOW_DAYS
    return False


def nik_cross_problems(values: Mapping[str, Any], *, on: date) -> dict[str, str]:
    """What a well-formed NIK says against ``gender`` (day + 40 for women) and ``age``
    (``age_matches_birth`` on the decision date ``on``): field name to message, both fields
    of a mismatch named. A malformed NIK is ``identity_problems``' to report, not this."""
    nik = values.get("nik")
    if not isinstance(nik, str) or not nik:
        return {}
    try:
        info = parse_nik(nik, today=on)
    except InvalidNik:
        return {}
    problems: dict[str, str] = {}
    against = []
    gender = values.get("gender")
    if gender in ("M", "F") and gender != info.sex:
        against.append("gender")
        problems["gender"] = "Does not match the sex the NIK encodes."
    age = values.get("age")
    if isinstance(age, int) and not age_matches_birth(age, info.birth_date, on):
        against.append("age")
        problems["age"] = "Does not match the birth date the NIK encodes."
    if against:
        problems["nik"] = f"Does not match {' and '.join(against)}."
    return problems
