"""NIK and phone take ASCII digits only: other scripts' digits would get another digest."""

from __future__ import annotations

from datetime import date

import pytest

from credit_ml.identity import InvalidNik, identity_problems, is_valid_phone, parse_nik

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
NIK = "3171054501900001"
PHONE = "081234567890"


@pytest.mark.parametrize("digits", [ARABIC_INDIC, FULL_WIDTH], ids=["arabic-indic", "full-width"])
def test_a_nik_in_other_digits_is_refused(digits: dict[int, str]) -> None:
    assert parse_nik(NIK, today=date(2026, 1, 1)).serial == 1
    with pytest.raises(InvalidNik, match=r"^NIK must be exactly 16 digits\.$"):
        parse_nik(NIK.translate(digits), today=date(2026, 1, 1))


@pytest.mark.parametrize("digits", [ARABIC_INDIC, FULL_WIDTH], ids=["arabic-indic", "full-width"])
def test_a_phone_in_other_digits_is_refused(digits: dict[int, str]) -> None:
    assert is_valid_phone(PHONE) is True
    assert is_valid_phone(PHONE.translate(digits)) is False
    assert is_valid_phone("0812" + "34567890".translate(digits)) is False


def test_a_nik_with_a_trailing_newline_is_refused() -> None:
    assert identity_problems({"nik": NIK + "\n"}) == {"nik": "NIK must be exactly 16 digits."}
