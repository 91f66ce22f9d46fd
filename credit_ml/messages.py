"""Validation messages in the request's language: English (the default) or Indonesian.

``validate_record`` writes every message in English from the templates below; ``localise``
gives a message in ``lang``, numbers in that language's separators (id: 3.000.000,
en: 3,000,000). Every message it can produce has an entry in both languages.
"""

from __future__ import annotations

import re
from functools import lru_cache

from credit_ml.formatting import format_number

#: English template -> Indonesian template. ``{n}`` is a number (English separators in the
#: English text), ``{s}`` any text (a list of choices, field names).
CATALOGUE: dict[str, str] = {
    "Unknown field.": "Kolom tidak dikenal.",
    "This field is required.": "Kolom ini wajib diisi.",
    "Must be a number.": "Harus berupa angka.",
    "Must be a finite number (NaN and Infinity are not allowed).": (
        "Harus berupa angka terhingga (NaN dan Infinity tidak diperbolehkan)."
    ),
    "Must be a whole number.": "Harus berupa bilangan bulat.",
    "Must be at least {n}.": "Minimal {n}.",
    "Must be at most {n}.": "Maksimal {n}.",
    "Must be a string.": "Harus berupa teks.",
    "Must be at most {n} characters.": "Maksimal {n} karakter.",
    "Must be one of: {s}.": "Harus salah satu dari: {s}.",
    "Must not be blank.": "Tidak boleh kosong.",
    "NIK must be exactly 16 digits.": "NIK harus tepat 16 digit.",
    "NIK must be exactly 16 ASCII digits.": "NIK harus tepat 16 digit ASCII.",
    "NIK has an unknown province code.": "Kode provinsi pada NIK tidak dikenal.",
    "NIK has an invalid regency or district code.": (
        "Kode kabupaten/kota atau kecamatan pada NIK tidak valid."
    ),
    "NIK does not contain a real birth date.": "NIK tidak memuat tanggal lahir yang valid.",
    "NIK serial must start at 0001.": "Nomor urut NIK harus dimulai dari 0001.",
    "Must be an Indonesian mobile number such as 0812xxxxxxxx.": (
        "Harus berupa nomor ponsel Indonesia seperti 0812xxxxxxxx."
    ),
    "Must be a valid e-mail address.": "Harus berupa alamat e-mail yang valid.",
    "Cannot exceed the working life the age allows ({n} years).": (
        "Tidak boleh melebihi masa kerja yang dimungkinkan usia ({n} tahun)."
    ),
    "Cannot exceed ten times the monthly income.": (
        "Tidak boleh melebihi sepuluh kali penghasilan bulanan."
    ),
    "Does not match gender.": "Tidak sesuai dengan jenis kelamin.",
    "Does not match age.": "Tidak sesuai dengan usia.",
    "Does not match gender and age.": "Tidak sesuai dengan jenis kelamin dan usia.",
    "Does not match the sex the NIK encodes.": "Tidak sesuai dengan jenis kelamin pada NIK.",
    "Does not match the birth date the NIK encodes.": (
        "Tidak sesuai dengan tanggal lahir pada NIK."
    ),
    "The application is invalid.": "Pengajuan tidak valid.",
    "The body must be a JSON object.": "Isi permintaan harus berupa objek JSON.",
    "Expected a JSON object.": "Diharapkan sebuah objek JSON.",
    "Must be at least 1 month.": "Minimal 1 bulan.",
    "Must be a positive amount.": "Harus berupa jumlah positif.",
    "Required to compute the debt service ratio.": "Diperlukan untuk menghitung rasio cicilan.",
}

_NUMBER = r"(-?[0-9][0-9,]*(?:\.[0-9]+)?)"


@lru_cache(maxsize=1)
def _patterns() -> list[tuple[re.Pattern[str], str, list[str]]]:
    patterns = []
    for english, indonesian in CATALOGUE.items():
        slots = re.findall(r"\{([ns])\}", english)
        regex = re.escape(english).replace(r"\{n\}", _NUMBER).replace(r"\{s\}", "(.+)")
        patterns.append((re.compile(f"^{regex}$"), indonesian, slots))
    return patterns


def english_number(value: float) -> str:
    """A number as the English messages write it: 3,000,000; 0.5."""
    return format_number(value, lang="en", decimals=6)


def localise(message: str, lang: str) -> str:
    """``message`` (an English catalogue message) in ``lang`` ("en" or "id"); a message
    outside the catalogue is returned as it is."""
    if lang != "id":
        return message
    for pattern, indonesian, slots in _patterns():
        match = pattern.match(message)
        if match is None:
            continue
        values = {}
        for slot, text in zip(slots, match.groups(), strict=True):
            if slot == "n":
                text = format_number(float(text.replace(",", "")), lang="id", decimals=6)
            values[slot] = text
        return indonesian.format(**values)
    return message
