"""Applications and helpers for the scoring API tests (the applicant of scoring.examples)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from rest_framework.test import APIClient

from audit.models import DecisionRecord
from scoring.examples import EXAMPLE_APPLICATION
from scoring.models import IdempotencyRecord

#: The example applicant of the docs and the demo, with the lender reference the tests expect.
VALID: dict[str, Any] = {**EXAMPLE_APPLICATION, "application_id": "DEMO-0001"}

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
