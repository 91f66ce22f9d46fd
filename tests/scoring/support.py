"""Applications and helpers for the scoring API tests (the applicant of scripts/demo_banner.py)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from rest_framework.test import APIClient

from audit.models import DecisionRecord
from scoring.models import IdempotencyRecord

VALID: dict[str, Any] = {
    "application_id": "DEMO-0001",
    "full_name": "Siti Rahmawati",
    "nik": "3171054501900001",
    "phone": "081234567890",
    "email": "siti@example.co.id",
    "age": 36,
    "gender": "F",
    "marital_status": "MARRIED",
    "education": "S1",
    "housing_type": "RENT",
    "province": "DKI_JAKARTA",
    "employment_status": "PERMANENT",
    "work_experience_years": 8,
    "monthly_income": 12000000,
    "existing_monthly_installments": 500000,
    "total_existing_debt": 20000000,
    "loan_amount": 50000000,
    "loan_term_months": 24,
    "annual_interest_rate": 0.18,
    "loan_purpose": "HOME_RENOVATION",
    "credit_card_utilization": 0.35,
    "past_delinquencies": 0,
    "worst_collectibility_24m": 1,
    "active_lending_platforms": 1,
}

#: The demo applicant with existing installments that put the DSR at 34.97 %: within the
#: 40 % cap of 2025, above the 30 % cap of 2026 and within the bank's 35 %.
DSR_35: dict[str, Any] = {**VALID, "existing_monthly_installments": 1_700_000}


def application(**overrides: Any) -> dict[str, Any]:
    return {**VALID, **overrides}


def keyed(key: str) -> APIClient:
    """An HTTP client that sends ``Authorization: Api-Key <key>``."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


def signed_in(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def assert_nothing_written() -> None:
    assert DecisionRecord.objects.count() == 0
    assert IdempotencyRecord.objects.count() == 0


#: Text that would betray internals: tracebacks, exception reprs and class names.
INTERNAL_MARKERS = (
    "Traceback",
    "Error(",
    "Exception",
    "ValueError",
    "TypeError",
    "KeyError",
    "OverflowError",
    "RecursionError",
    "UnicodeDecodeError",
    "JSONDecodeError",
    "ValidationFailed",
    "InvalidInput",
    "FeatureInputError",
    "DatabaseError",
    "<class",
    'File "',
)


def assert_no_internals(response: Any) -> None:
    text = response.content.decode("utf-8", errors="replace")
    assert response.status_code < 500, text
    for marker in INTERNAL_MARKERS:
        assert marker not in text, f"{marker!r} in {text}"
