"""Properties of the masking functions (hypothesis): for any identity the product accepts,
what a reviewer sees never holds the raw value, shows exactly the documented parts, and the
look-up digests are the same for every notation of one identity and differ between keys."""

from __future__ import annotations

import json
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.masking import (
    AGE_BANDS,
    RUPIAH_BANDS,
    band,
    identity_digests,
    initials,
    mask_email,
    mask_nik,
    mask_phone,
    mask_reference,
    masked_application,
)
from credit_ml.identity import EMAIL_PATTERN
from credit_ml.schema import INDONESIAN_SCHEMA, PROVINCE_CODES
from tests.audit.conftest import APPLICANT

QUICK = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
IDENTITY = INDONESIAN_SCHEMA.identity_fields


def digits(low: int, high: int | None = None) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=low, max_size=high or low)


NIKS = st.tuples(st.sampled_from(PROVINCE_CODES), digits(14)).map("".join)
#: Mobile numbers in every notation the server takes: 08…, 628…, +628…, with spaces/dashes.
SUBSCRIBERS = digits(8, 12).map(lambda d: "8" + d[1:])
PHONES = st.tuples(st.sampled_from(["0", "62", "+62"]), SUBSCRIBERS).map("".join)
EMAILS = st.from_regex(EMAIL_PATTERN, fullmatch=True).filter(lambda e: "\n" not in e)
NAMES = st.lists(
    # Latin letters, accented ones included (Indonesian names are written in Latin script).
    st.text(
        alphabet=st.characters(categories=["Lu", "Ll"], max_codepoint=0x24F),
        min_size=2,
        max_size=12,
    ),
    min_size=1,
    max_size=6,
).map(" ".join)


@QUICK
@given(NIKS)
def test_a_nik_shows_only_its_region_and_last_two_digits(nik: str) -> None:
    shown = mask_nik(nik)
    assert shown == f"{nik[:4]} **** **** **{nik[-2:]}"
    assert re.sub(r"\D", "", shown) == nik[:4] + nik[-2:]


@QUICK
@given(PHONES)
def test_a_phone_shows_six_digits_at_most(phone: str) -> None:
    shown = mask_phone(phone)
    digits_shown = re.sub(r"\D", "", shown)
    assert len(digits_shown) == 6
    assert re.sub(r"\D", "", phone) not in shown


@QUICK
@given(EMAILS)
def test_an_email_shows_its_first_letter_and_its_domain_only(email: str) -> None:
    local, domain = email.split("@")
    assert mask_email(email) == f"{local[0]}***@{domain}"


@QUICK
@given(st.text(min_size=1, max_size=64))
def test_a_reference_shows_its_last_three_characters_at_most(reference: str) -> None:
    shown = mask_reference(reference)
    assert shown == ("***" + reference[-3:] if len(reference) > 3 else "***")


@QUICK
@given(NAMES)
def test_a_name_becomes_at_most_four_initials(name: str) -> None:
    shown = initials(name)
    parts = name.split(" ")
    assert shown == "".join(f"{part[0].upper()}." for part in parts[:4])
    assert shown.count(".") == min(4, len(parts))


@QUICK
@given(st.floats(0, 1e13, allow_nan=False), st.floats(0, 1e13, allow_nan=False))
def test_bands_keep_the_order_of_amounts(a: float, b: float) -> None:
    labels = [label for _, label in RUPIAH_BANDS]
    low, high = sorted((a, b))
    assert labels.index(band(low, RUPIAH_BANDS) or "") <= labels.index(
        band(high, RUPIAH_BANDS) or ""
    )


@QUICK
@given(st.integers(0, 130))
def test_every_age_has_the_band_whose_bounds_hold_it(age: int) -> None:
    label = band(age, AGE_BANDS)
    uppers = [upper for upper, _ in AGE_BANDS]
    index = [name for _, name in AGE_BANDS].index(label or "")
    assert age < uppers[index]
    assert index == 0 or age >= uppers[index - 1]


@QUICK
@given(NIKS, PHONES, EMAILS, NAMES, st.text(min_size=4, max_size=64))
def test_the_masked_application_holds_no_raw_identity(
    nik: str, phone: str, email: str, name: str, address: str
) -> None:
    values = {**APPLICANT, "nik": nik, "phone": phone, "email": email, "full_name": name}
    values["address"] = address
    shown = masked_application(values, identity_fields=IDENTITY)
    assert "address" not in shown
    assert "full_name" not in shown
    assert shown["nik"] == mask_nik(nik)
    assert shown["phone"] == mask_phone(phone)
    assert shown["email"] == mask_email(email)
    assert shown["initials"] == initials(name)
    text = json.dumps(shown, ensure_ascii=False)
    for raw in (nik, re.sub(r"\D", "", phone), email):
        assert raw not in text


@QUICK
@given(SUBSCRIBERS, st.text(min_size=1, max_size=20), st.text(min_size=1, max_size=20))
def test_every_notation_of_a_phone_has_one_digest_and_keys_differ(
    subscriber: str, key: str, other_key: str
) -> None:
    notations = ["0" + subscriber, "62" + subscriber, "+62" + subscriber]
    notations.append(f"+62 {subscriber[:3]}-{subscriber[3:7]}-{subscriber[7:]}")
    digests = {identity_digests({"phone": phone}, key=key)["phone"] for phone in notations}
    assert len(digests) == 1
    if key != other_key:
        assert identity_digests({"phone": notations[0]}, key=other_key)["phone"] not in digests


@QUICK
@given(EMAILS)
def test_an_email_has_one_digest_whatever_its_case(email: str) -> None:
    lower = identity_digests({"email": email.lower()}, key="k")
    assert identity_digests({"email": email.upper()}, key="k") == lower
    assert identity_digests({"email": f"  {email} "}, key="k") == lower
