"""validate_record's messages in English (default) or Indonesian, numbers in that
language's separators."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from credit_ml.messages import CATALOGUE, localise
from credit_ml.schema import INDONESIAN_SCHEMA, ValidationFailed, validate_record
from scoring.examples import EXAMPLE_APPLICATION


def errors(lang: str | None, **changes: object) -> dict[str, list[str]]:
    body = {**EXAMPLE_APPLICATION, **changes}
    kwargs: dict[str, Any] = {} if lang is None else {"lang": lang}
    with pytest.raises(ValidationFailed) as caught:
        validate_record(INDONESIAN_SCHEMA, body, today=date(2026, 3, 1), **kwargs)
    return caught.value.errors


def test_an_amount_over_the_maximum_in_both_languages() -> None:
    assert errors(None, loan_amount=3e9) == {"loan_amount": ["Must be at most 2,000,000,000."]}
    assert errors("en", loan_amount=3e9) == {"loan_amount": ["Must be at most 2,000,000,000."]}
    assert errors("id", loan_amount=3e9) == {"loan_amount": ["Maksimal 2.000.000.000."]}


def test_representative_messages_in_indonesian() -> None:
    found = errors(
        "id",
        monthly_income=None,
        education="PHD",
        nik="123",
        interest=1,
        age=20,
        work_experience_years=8,
    )
    assert found == {
        "interest": ["Kolom tidak dikenal."],
        "monthly_income": ["Kolom ini wajib diisi."],
        "education": [
            "Harus salah satu dari: "
            + ", ".join(INDONESIAN_SCHEMA.field("education").choices)
            + "."
        ],
        "nik": ["NIK harus tepat 16 digit."],
        "work_experience_years": [
            "Tidak boleh melebihi masa kerja yang dimungkinkan usia (5 tahun)."
        ],
    }


def test_the_nik_cross_checks_in_indonesian() -> None:
    assert errors("id", gender="M") == {
        "nik": ["Tidak sesuai dengan jenis kelamin."],
        "gender": ["Tidak sesuai dengan jenis kelamin pada NIK."],
    }


def test_every_catalogue_message_has_both_languages_and_decimals_follow_the_language() -> None:
    assert all(english and indonesian for english, indonesian in CATALOGUE.items())
    assert localise("Must be at least 0.5.", "id") == "Minimal 0,5."
    assert localise("Must be at least 1,500,000.5.", "id") == "Minimal 1.500.000,5."
    assert localise("Something else.", "id") == "Something else."
