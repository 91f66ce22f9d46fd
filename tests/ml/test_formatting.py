from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from credit_ml.formatting import format_date, format_field, format_percent, format_value
from credit_ml.schema import INDONESIAN_SCHEMA, Unit


@pytest.mark.parametrize(
    ("unit", "value", "text_id", "text_en"),
    [
        (Unit.RUPIAH, 5_000_000, "Rp 5.000.000", "IDR 5,000,000"),
        (Unit.RUPIAH_PER_MONTH, 4_250_000.0, "Rp 4.250.000", "IDR 4,250,000"),
        (Unit.RUPIAH, 456_789.5, "Rp 456.790", "IDR 456,790"),
        (Unit.RUPIAH, -1_250_000, "-Rp 1.250.000", "-IDR 1,250,000"),
        (Unit.RUPIAH, 0, "Rp 0", "IDR 0"),
        (Unit.RATIO, 0.425, "42,5 %", "42.5 %"),
        (Unit.RATIO, 0.3, "30 %", "30 %"),
        (Unit.RATIO, 0.4525, "45,3 %", "45.3 %"),
        (Unit.RATIO, 0.07, "7 %", "7 %"),
        (Unit.RATE_PER_YEAR, 0.185, "18,5 % per tahun", "18.5 % per year"),
        (Unit.MONTHS, 24, "24 bulan", "24 months"),
        (Unit.MONTHS, 1, "1 bulan", "1 month"),
        (Unit.YEARS, 5, "5 tahun", "5 years"),
        (Unit.YEARS, 2.5, "2,5 tahun", "2.5 years"),
        (Unit.YEARS, 1, "1 tahun", "1 year"),
        (Unit.COUNT, 3, "3", "3"),
        (Unit.COUNT, 1200, "1.200", "1,200"),
        (Unit.GRADE, 1, "Kol 1 (Lancar)", "Kol 1 (Current)"),
        (Unit.GRADE, 3, "Kol 3 (Kurang Lancar)", "Kol 3 (Substandard)"),
        (Unit.GRADE, 5, "Kol 5 (Macet)", "Kol 5 (Loss)"),
        (Unit.NONE, 1234.567, "1.234,57", "1,234.57"),
    ],
)
def test_it_formats_values_by_unit_in_both_languages(
    unit: Unit, value: float, text_id: str, text_en: str
) -> None:
    assert format_value(unit, value, lang="id") == text_id
    assert format_value(unit, value, lang="en") == text_en


def test_none_reads_not_provided() -> None:
    assert format_value(Unit.RUPIAH, None, lang="id") == "tidak diisi"
    assert format_value(Unit.GRADE, None, lang="en") == "not provided"


def test_a_choice_label_wins_over_the_raw_value() -> None:
    text = format_value(Unit.NONE, "RENT", lang="id", choices_label="Sewa/kontrak")
    assert text == "Sewa/kontrak"


def test_format_field_applies_the_field_spec_choice_labels() -> None:
    housing = INDONESIAN_SCHEMA.field("housing_type")
    assert format_field(housing, "RENT", lang="id") == "Sewa/kontrak"
    assert format_field(housing, "RENT", lang="en") == "Rented"
    term = INDONESIAN_SCHEMA.field("loan_term_months")
    assert format_field(term, 36, lang="en") == "36 months"


def test_numpy_numbers_are_formatted_like_python_numbers() -> None:
    assert format_value(Unit.RUPIAH, np.float64(5e6), lang="en") == "IDR 5,000,000"
    assert format_value(Unit.MONTHS, np.int64(12), lang="id") == "12 bulan"


def test_percent_can_show_more_decimals() -> None:
    assert format_percent(0.30004, lang="id", decimals=3) == "30,004 %"


@pytest.mark.parametrize(
    ("d", "text_id", "text_en"),
    [
        (date(2026, 1, 1), "1 Januari 2026", "1 January 2026"),
        (date(2025, 8, 17), "17 Agustus 2025", "17 August 2025"),
        (date(2027, 12, 31), "31 Desember 2027", "31 December 2027"),
    ],
)
def test_it_formats_dates(d: date, text_id: str, text_en: str) -> None:
    assert format_date(d, "id") == text_id
    assert format_date(d, "en") == text_en


def test_it_refuses_an_unknown_language() -> None:
    with pytest.raises(ValueError, match="Unsupported language"):
        format_value(Unit.RUPIAH, 1, lang="fr")


def test_it_refuses_an_impossible_grade_and_non_finite_numbers() -> None:
    with pytest.raises(ValueError, match="whole grade 1 to 5"):
        format_value(Unit.GRADE, 6, lang="en")
    with pytest.raises(ValueError, match="non-finite"):
        format_value(Unit.RATIO, float("nan"), lang="en")
