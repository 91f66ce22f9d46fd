"""Masking of personal data for the audit trail. Pure functions; keys are passed in.

- NIK, phone, e-mail, the lender's reference: a keyed HMAC-SHA-256 digest for look-ups
  (a plain SHA-256 of a NIK is reversible by brute force) and a display mask.
- Name: initials only. Address: dropped (the province is a separate field).
- Amounts and age: bands, so a reviewer sees the order of magnitude, not the figure.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
from collections.abc import Callable, Mapping
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


_NON_DIGITS = re.compile(r"\D")


@functools.lru_cache(maxsize=8)
def _keyed_hmac(key: str) -> hmac.HMAC:
    """An HMAC-SHA-256 holding only the key, copied for each digest (cached by the key)."""
    return hmac.new(key.encode("utf-8"), digestmod=hashlib.sha256)


def pii_digest(value: str, *, key: str) -> str:
    """Keyed HMAC-SHA-256 (hex) of a normalised identity value."""
    mac = _keyed_hmac(key).copy()
    mac.update(value.encode("utf-8"))
    return mac.hexdigest()


def normalise_phone(phone: str) -> str:
    """0812…, 62812… and +62812… are one number: keep the digits after the country code."""
    digits = _NON_DIGITS.sub("", phone)
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
    digits = _NON_DIGITS.sub("", phone)
    return f"{digits[:4]}****{digits[-2:]}"


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_reference(reference: str) -> str:
    return f"***{reference[-3:]}" if len(reference) > 3 else "***"


_NON_WORD = re.compile(r"[^\w]+")


def initials(name: str) -> str:
    """``Siti Nurhaliza Putri`` → ``S.N.P.``; letters only, at most four."""
    parts = [part for part in _NON_WORD.split(name) if part and part[0].isalpha()]
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


def _keep(value: Any) -> Any:
    return value


def _shown_if_present(masker: Callable[[str], str]) -> Callable[[Any], str | None]:
    return lambda value: masker(value) if isinstance(value, str) and value else None


def _money_band(value: float | None) -> str | None:
    return band(value, RUPIAH_BANDS)


def _age_band(value: float | None) -> str | None:
    return band(value, AGE_BANDS)


@functools.lru_cache(maxsize=32)
def _plan(identity_fields: tuple[str, ...]) -> dict[str, Callable[[Any], Any] | None]:
    """What ``masked_application`` does with each named field: ``None`` drops it, a function
    shows its result; any other field is shown as it is (``_keep``)."""
    plan: dict[str, Callable[[Any], Any] | None] = dict.fromkeys(MONEY_FIELDS, _money_band)
    plan["age"] = _age_band
    plan.update({name: _shown_if_present(masker) for name, masker in _MASKERS.items()})
    hidden = [name for name in identity_fields if name not in _MASKERS]
    plan.update(dict.fromkeys((*DROPPED_FIELDS, "full_name", *hidden)))
    return plan


def masked_application(
    values: Mapping[str, Any], *, identity_fields: tuple[str, ...]
) -> dict[str, Any]:
    """The application as reviewers may see it: no raw identity, money and age in bands."""
    plan = _plan(tuple(identity_fields))
    shown: dict[str, Any] = {}
    for name, value in values.items():
        action = plan.get(name, _keep)
        if action is _keep:
            shown[name] = value
        elif action is not None:
            shown[name] = action(value)
    full_name = values.get("full_name")
    shown["initials"] = initials(full_name) if isinstance(full_name, str) else None
    return shown


def identity_digests(values: Mapping[str, Any], *, key: str) -> dict[str, str]:
    """HMAC digests of every present identity value, keyed by field name."""
    keyed = _keyed_hmac(key)
    digests: dict[str, str] = {}
    for field in DIGESTED_FIELDS:
        value = values.get(field)
        if isinstance(value, str) and value:
            mac = keyed.copy()
            mac.update(normalise(field, value).encode("utf-8"))
            digests[field] = mac.hexdigest()
    return digests
