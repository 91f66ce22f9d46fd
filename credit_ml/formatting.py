"""Readable values for reviewers, reasons and rule messages, in Bahasa Indonesia and English.

Indonesian groups thousands with "." and uses "," as the decimal mark ("Rp 5.000.000",
"42,5 %"); English does the opposite ("IDR 5,000,000", "42.5 %"). Rounding is half up on
the shortest decimal form of the number, so 0.4525 shows as "45,3 %", never "45,2 %".
Language codes are ``"id"`` and ``"en"``; anything else is a ``ValueError``.
"""

from __future__ import annotations

import math
import numbers
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

from credit_ml.schema import DerivedFeature, FieldSpec, Unit

LANGS: tuple[str, ...] = ("id", "en")

MONTHS_ID = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)  # fmt: skip
MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip

#: SLIK collectibility grades 1..5 (OJK): Indonesian and English names.
COLLECTIBILITY_ID = ("Lancar", "Dalam Perhatian Khusus", "Kurang Lancar", "Diragukan", "Macet")
COLLECTIBILITY_EN = ("Current", "Special Mention", "Substandard", "Doubtful", "Loss")

_NOT_PROVIDED = {"id": "tidak diisi", "en": "not provided"}
_SWAP_SEPARATORS = str.maketrans({",": ".", ".": ","})


def check_lang(lang: str) -> str:
    """Return ``lang`` when it is a supported language code, else raise ``ValueError``."""
    if lang not in LANGS:
        raise ValueError(f"Unsupported language {lang!r}: use one of {', '.join(LANGS)}.")
    return lang


def format_number(value: float, *, lang: str, decimals: int = 0) -> str:
    """``value`` grouped by thousands with at most ``decimals`` decimals (trailing zeros cut)."""
    check_lang(lang)
    if not math.isfinite(value):
        raise ValueError(f"Cannot format a non-finite number ({value!r}).")
    return _number(float(value), lang, decimals)


def format_number_both(value: float, *, decimals: int = 0) -> tuple[str, str]:
    """``format_number`` in Indonesian and in English: ``(id, en)``."""
    return format_number(value, lang="id", decimals=decimals), format_number(
        value, lang="en", decimals=decimals
    )


def format_percent_both(ratio: float, *, decimals: int = 1) -> tuple[str, str]:
    """``format_percent`` in Indonesian and in English: ``(id, en)``."""
    number_id, number_en = format_number_both(float(ratio) * 100.0, decimals=decimals)
    return f"{number_id} %", f"{number_en} %"


#: Whole numbers below this magnitude print their digits exactly (no rounding to do).
_EXACT_WHOLE = float(2**52)


@lru_cache(maxsize=16_384)
def _number(value: float, lang: str, decimals: int) -> str:
    """``format_number`` of a finite float; cached, as amounts and limits repeat a lot.

    Keys equal as floats format alike (0.0 and -0.0 both read "0"), so the cache is exact.
    Both languages share the digits (``_digits``): Indonesian only swaps the separators.
    """
    text = _digits(value, decimals)
    return text.translate(_SWAP_SEPARATORS) if lang == "id" else text


@lru_cache(maxsize=16_384)
def _digits(value: float, decimals: int) -> str:
    """``_number`` in English: the rounding of a reason's figure is done once for both
    languages (the figures of a batch's reasons rarely repeat)."""
    if value.is_integer() and abs(value) < _EXACT_WHOLE:
        # The shortest repr of such a float is its integer: the Decimal path gives the
        # same digits, and the decimals it would add are all zeros, which are cut.
        text = f"{int(value):,}"
    else:
        quantum = Decimal(1).scaleb(-decimals)
        rounded = Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP)
        if rounded == 0:
            rounded = abs(rounded)  # no "-0"
        text = f"{rounded:,.{decimals}f}"
        if decimals > 0:
            text = text.rstrip("0").rstrip(".")
    return text


def format_rupiah(amount: float, *, lang: str) -> str:
    """Whole rupiah: "Rp 5.000.000" (id) or "IDR 5,000,000" (en); negatives as "-Rp 1.000"."""
    prefix = "Rp" if check_lang(lang) == "id" else "IDR"
    digits = format_number(abs(amount), lang=lang)
    sign = "-" if digits != "0" and amount < 0 else ""
    return f"{sign}{prefix} {digits}"


def format_percent(ratio: float, *, lang: str, decimals: int = 1) -> str:
    """A fraction as a percentage: 0.425 -> "42,5 %" (id) or "42.5 %" (en); 0.3 -> "30 %"."""
    return f"{format_number(float(ratio) * 100.0, lang=lang, decimals=decimals)} %"


def _quantity(value: float, *, lang: str, id_word: str, en_one: str, en_many: str) -> str:
    number = format_number(value, lang=lang, decimals=1)
    if lang == "id":
        return f"{number} {id_word}"
    return f"{number} {en_one if number == '1' else en_many}"


def format_grade(grade: float, *, lang: str) -> str:
    """SLIK collectibility: 3 -> "Kol 3 (Kurang Lancar)" (id) or "Kol 3 (Substandard)" (en)."""
    check_lang(lang)
    if grade != int(grade) or not 1 <= grade <= 5:
        raise ValueError(f"SLIK collectibility must be a whole grade 1 to 5, not {grade!r}.")
    names = COLLECTIBILITY_ID if lang == "id" else COLLECTIBILITY_EN
    return f"Kol {int(grade)} ({names[int(grade) - 1]})"


def _format_number_in_unit(unit: Unit, value: float, lang: str) -> str:
    if unit in (Unit.RUPIAH, Unit.RUPIAH_PER_MONTH):
        return format_rupiah(value, lang=lang)
    if unit is Unit.RATIO:
        return format_percent(value, lang=lang)
    if unit is Unit.RATE_PER_YEAR:
        per_year = "per tahun" if lang == "id" else "per year"
        return f"{format_percent(value, lang=lang, decimals=2)} {per_year}"
    if unit is Unit.MONTHS:
        return _quantity(value, lang=lang, id_word="bulan", en_one="month", en_many="months")
    if unit is Unit.YEARS:
        return _quantity(value, lang=lang, id_word="tahun", en_one="year", en_many="years")
    if unit is Unit.COUNT:
        return format_number(value, lang=lang)
    if unit is Unit.GRADE:
        return format_grade(value, lang=lang)
    return format_number(value, lang=lang, decimals=2)


def format_value(
    spec_unit: Unit, value: Any, *, lang: str, choices_label: str | None = None
) -> str:
    """One value as a reviewer reads it, in ``lang`` ("id" or "en").

    ``None`` reads "tidak diisi" / "not provided". ``choices_label`` (the FieldSpec's label
    for an enum value, see ``FieldSpec.choice_label``) wins over everything else. Strings
    without a label are shown as they are; numbers are formatted by ``spec_unit``.
    """
    check_lang(lang)
    if value is None:
        return _NOT_PROVIDED[lang]
    if choices_label is not None:
        return choices_label
    kind = type(value)
    if kind is float or kind is int:  # the usual case, without the slower ABC check below
        return _format_number_in_unit(spec_unit, float(value), lang)
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):  # numpy numbers too
        raise TypeError(f"Cannot format {type(value).__name__} as {spec_unit.name}.")
    return _format_number_in_unit(spec_unit, float(value), lang)


def format_field(spec: FieldSpec | DerivedFeature, value: Any, *, lang: str) -> str:
    """``format_value`` for one field or derived feature, with its enum labels applied."""
    label = None
    if isinstance(spec, FieldSpec) and spec.choices and isinstance(value, str):
        label = spec.choice_label(value, check_lang(lang))
    return format_value(spec.unit, value, lang=lang, choices_label=label)


def format_date(d: date, lang: str) -> str:
    """A calendar date: "1 Januari 2026" (id) or "1 January 2026" (en)."""
    months = MONTHS_ID if check_lang(lang) == "id" else MONTHS_EN
    return f"{d.day} {months[d.month - 1]} {d.year}"
