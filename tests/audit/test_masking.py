"""Every identity field is masked or digested; amounts and age are banded."""

from __future__ import annotations

from typing import Any

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
    normalise,
    normalise_phone,
    pii_digest,
)
from audit.services import pii_key_id
from credit_ml.schema import INDONESIAN_SCHEMA
from tests.audit.conftest import APPLICANT

KEY = "test-pii-key"
IDENTITY = INDONESIAN_SCHEMA.identity_fields


def test_nik_is_masked_to_its_region_and_last_two_digits() -> None:
    assert mask_nik("3171014101900001") == "3171 **** **** **01"


def test_nik_digest_is_a_keyed_hmac_that_changes_with_the_key() -> None:
    digest = pii_digest("3171014101900001", key=KEY)
    assert len(digest) == 64
    assert digest == pii_digest("3171014101900001", key=KEY)
    assert digest != pii_digest("3171014101900001", key="another-key")
    assert "3171014101900001" not in digest


def test_records_name_the_pii_key_they_were_digested_with(settings: Any) -> None:
    first = pii_key_id()
    settings.KREDITAX_PII_KEY = "rotated-key"
    assert len(first) == 12
    assert pii_key_id() != first


def test_phone_numbers_in_every_notation_share_one_digest() -> None:
    forms = ["081234567890", "6281234567890", "+62 812-3456-7890", "+6281234567890"]
    assert {normalise_phone(p) for p in forms} == {"81234567890"}
    digests = {identity_digests({"phone": p}, key=KEY)["phone"] for p in forms}
    assert len(digests) == 1


def test_phone_is_masked_to_its_prefix_and_last_two_digits() -> None:
    assert mask_phone("081234567890") == "0812****90"


def test_email_is_lower_cased_before_digesting_and_masked_to_its_domain() -> None:
    assert normalise("email", "  Siti.Putri@Example.co.id ") == "siti.putri@example.co.id"
    upper = identity_digests({"email": "SITI.PUTRI@EXAMPLE.CO.ID"}, key=KEY)
    lower = identity_digests({"email": "siti.putri@example.co.id"}, key=KEY)
    assert upper == lower
    assert mask_email("siti.putri@example.co.id") == "s***@example.co.id"


def test_the_lenders_reference_is_masked_to_its_last_three_characters() -> None:
    assert mask_reference("LOS-2026-000123") == "***123"
    assert mask_reference("AB") == "***"


def test_a_name_becomes_its_initials_only() -> None:
    assert initials("Siti Nurhaliza Putri") == "S.N.P."
    assert initials("muhammad  al-fatih bin abdul rahman") == "M.A.F.B."


def test_amounts_and_age_are_shown_in_bands() -> None:
    assert band(12_500_000, RUPIAH_BANDS) == "Rp 10-25 jt"
    assert band(999_999, RUPIAH_BANDS) == "< Rp 1 jt"
    assert band(3_000_000_000, RUPIAH_BANDS) == ">= Rp 1 M"
    assert band(36, AGE_BANDS) == "31-40"
    assert band(None, AGE_BANDS) is None


def test_the_masked_application_keeps_no_raw_identity_and_drops_the_address() -> None:
    shown = masked_application(APPLICANT, identity_fields=IDENTITY)
    assert shown == {
        "application_id": "***123",
        "nik": "3171 **** **** **01",
        "phone": "0812****90",
        "email": "S***@example.co.id",
        "age": "31-40",
        "gender": "F",
        "marital_status": "MARRIED",
        "education": "S1",
        "housing_type": "RENT",
        "province": "DKI_JAKARTA",
        "employment_status": "PERMANENT",
        "work_experience_years": 8,
        "monthly_income": "Rp 10-25 jt",
        "existing_monthly_installments": "Rp 1-3 jt",
        "total_existing_debt": "Rp 10-25 jt",
        "loan_amount": "Rp 25-50 jt",
        "loan_term_months": 24,
        "annual_interest_rate": 0.18,
        "loan_purpose": "HOME_RENOVATION",
        "credit_card_utilization": 0.35,
        "past_delinquencies": 0,
        "worst_collectibility_24m": 1,
        "active_lending_platforms": 1,
        "initials": "S.N.P.",
    }


def test_identity_digests_cover_reference_nik_phone_and_email() -> None:
    digests = identity_digests(APPLICANT, key=KEY)
    assert set(digests) == {"application_id", "nik", "phone", "email"}
    assert digests["nik"] == pii_digest("3171014101900001", key=KEY)
