"""Masking of personal data for the audit trail. Pure functions; keys are passed in.

- NIK, phone, e-mail, the lender's reference: a keyed HMAC-SHA-256 digest for look-ups
  (a plain SHA-256 of a NIK is reversible by brute force) and a display mask.
- Name: initials only. Address: dropped (the province is a separate field).
- Amounts and age: bands, so a reviewer sees the order of magnitude, not the figure.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from typing import Any

#: Upper bounds (exclusive) of the rupiah bands a reviewer sees, with their labels.
RUPIAH_BANDS: tuple[tuple[float, str], ...] = (
    (1_000_000, "< Rp 1 jt"),
    (3_000_000, "Rp 1-3 jt"),
    (5_000_000, "Rp 3-5 jt"),
    (10_000_000, "Rp 5-10 jt"),
    (25_000_000, "Rp 10-25 jt"),
    (50_000_000, "Rp 25-50 jt"),
    (100_000_000, "Rp 50-100 jt"),
    (500_000_000, "Rp 100-500 jt"),
    (1_000_000_000, "Rp 500 jt-1 M"),
    (float("inf"), ">= Rp 1 M"),
)
AGE_BANDS: tuple[tuple[float, str], ...] = (
    (21, "< 21"),
    (26, "21-25"),
    (31, "26-30"),
    (41, "31-40"),
    (51, "41-50"),
    (61, "51-60"),
    (float("inf"), "> 60"),
)
MONEY_FIELDS = (
    "monthly_income",
    "existing_monthly_installments",
    "total_existing_debt",
    "loan_amount",
)
#: Identity fields that are digested for look-ups, and how each is normalised first.
DIGESTED_FIELDS = ("application_id", "nik", "phone", "email")
DROPPED_FIELDS = ("full_name", "address")


def pii_digest(value: str, *, key: str) -> str:
    """Keyed HMAC-SHA-256 (hex) of a normalised identity value."""
    return hmac.new(key.encode("utf-8"), value.encode("utf-8"), hashlib.sha256).hexdigest()


def normalise_phone(phone: str) -> str:
    """0812…, 62812… and +62812… are one number: keep the digits after the country code."""
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("62"):
        digits = digits[2:]
    return digits.lstrip("0")


def normalise(field: str, value: str) -> str:
    if field == "phone":
        return normalise_phone(value)
    if field == "email":
        return value.strip().lower()
    return value.strip()


def mask_nik(nik: str) -> str:
    """``3171 **** **** **01``: the province-regency part and the last two digits."""
    return f"{nik[:4]} **** **** **{nik[-2:]}"


def mask_phone(phone: str) -> str:
    digits = re.sub(r"\D", "", phone)
    return f"{digits[:4]}****{digits[-2:]}"


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_reference(reference: str) -> str:
    return f"***{reference[-3:]}" if len(reference) > 3 else "***"


def initials(name: str) -> str:
    """``Siti Nurhaliza Putri`` → ``S.N.P.``; letters only, at most four."""
    parts = [part for part in re.split(r"[^\w]+", name) if part and part[0].isalpha()]
    return "".join(f"{part[0].upper()}." for part in parts[:4])


def band(value: float | None, bands: tuple[tuple[float, str], ...]) -> str | None:
    if value is None:
        return None
    for upper, label in bands:
        if value < upper:
            return label
    return bands[-1][1]


_MASKERS = {
    "nik": mask_nik,
    "phone": mask_phone,
    "email": mask_email,
    "application_id": mask_reference,
}


def masked_application(
    values: Mapping[str, Any], *, identity_fields: tuple[str, ...]
) -> dict[str, Any]:
    """The application as reviewers may see it: no raw identity, money and age in bands."""
    shown: dict[str, Any] = {}
    for name, value in values.items():
        if name in DROPPED_FIELDS:
            continue
        if name == "full_name" or (name in identity_fields and name not in _MASKERS):
            continue
        if name in _MASKERS:
            shown[name] = _MASKERS[name](value) if isinstance(value, str) and value else None
        elif name in MONEY_FIELDS:
            shown[name] = band(value, RUPIAH_BANDS)
        elif name == "age":
            shown[name] = band(value, AGE_BANDS)
        else:
            shown[name] = value
    full_name = values.get("full_name")
    shown["initials"] = initials(full_name) if isinstance(full_name, str) else None
    return shown


def identity_digests(values: Mapping[str, Any], *, key: str) -> dict[str, str]:
    """HMAC digests of every present identity value, keyed by field name."""
    return {
        field: pii_digest(normalise(field, values[field]), key=key)
        for field in DIGESTED_FIELDS
        if isinstance(values.get(field), str) and values[field]
    }
