"""Encryption of the exact model inputs kept for replay (Fernet, with key rotation).

Keys come from ``KREDITAX_AUDIT_KEYS``: a comma-separated list of Fernet keys, newest first.
New records are encrypted with the first; any listed key decrypts (MultiFernet), so a key is
rotated by putting a new one in front and keeping the old ones until re-encryption.

The ciphers are built once per configured key list (and cached by it), so a key change
through the settings takes effect on the next call.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

#: Canonical JSON: sorted keys, no whitespace, ASCII only (``check_circular`` only changes
#: the error raised for a value that contains itself, which JSON cannot hold anyway).
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), check_circular=False)


#: Numbers whose JSON PostgreSQL's ``jsonb`` would give back in another form: negative zero
#: (``numeric`` has none: ``-0.0`` comes back as ``0.0``) and floats written with a positive
#: exponent (``1e+16`` comes back as the integer ``10000000000000000``). Matching text inside
#: a string only costs the slower path, whose output is then the same.
_JSONB_UNSTABLE = re.compile(r"-0\.0(?![0-9])|[0-9]e\+")
#: The same two patterns apart: each starts with a literal the regex engine finds quickly,
#: where the alternation tries both at every position (it took 60 % of ``canonical_json``).
_NEGATIVE_ZERO = re.compile(r"-0\.0(?![0-9])")
_POSITIVE_EXPONENT = re.compile(r"[0-9]e\+")


def _jsonb_unstable(text: str) -> bool:
    """``_JSONB_UNSTABLE.search(text) is not None``, faster."""
    if "e+" in text and _POSITIVE_EXPONENT.search(text) is not None:
        return True
    return "-0.0" in text and _NEGATIVE_ZERO.search(text) is not None


def canonical_json(value: Any) -> str:
    """``json.dumps(value, sort_keys=True, separators=(",", ":"))``, in a form that
    PostgreSQL's ``jsonb`` stores and gives back unchanged.

    Audit records are hashed over this text and stored as ``jsonb``; read back and encoded
    again, they must give the same text, or a valid request could make a record fail
    verification forever. So negative zero is written as ``0.0`` and an integral float of
    16 digits or more (the only floats Python writes with ``e+``) as the integer it is.
    """
    text = _CANONICAL.encode(value)
    if not _jsonb_unstable(text):
        return text
    return _CANONICAL.encode(_jsonb_stable(value))


def _jsonb_stable(value: Any) -> Any:
    if isinstance(value, float):
        if value == 0.0:
            return 0.0
        if math.isfinite(value) and value.is_integer() and abs(value) >= 1e16:
            return int(value)
        return value
    if isinstance(value, Mapping):
        return {key: _jsonb_stable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonb_stable(item) for item in value]
    return value


class AuditKeyError(RuntimeError):
    """The inputs cannot be decrypted with any configured key."""


@dataclass(frozen=True)
class Cipher:
    """The configured keys, ready: ``key_id`` names the first (the one new records use)."""

    fernet: MultiFernet
    key_id: str

    def encrypt(self, values: Mapping[str, Any]) -> str:
        payload = canonical_json(values).encode("utf-8")
        return self.fernet.encrypt(payload).decode("ascii")

    def decrypt(self, token: str) -> dict[str, Any]:
        try:
            payload = self.fernet.decrypt(token.encode("ascii"))
        except InvalidToken:
            raise AuditKeyError("No configured audit key decrypts these inputs.") from None
        result: dict[str, Any] = json.loads(payload)
        return result


def _derived_key(pii_key: str) -> bytes:
    # Development fallback: a key derived from the PII key (production requires real keys).
    digest = hashlib.sha256(f"audit:{pii_key}".encode()).digest()
    return base64.urlsafe_b64encode(digest)


@functools.lru_cache(maxsize=8)
def _cipher(configured: tuple[str, ...], pii_key: str) -> Cipher:
    keys = [key.encode("ascii") for key in configured] or [_derived_key(pii_key)]
    return Cipher(
        fernet=MultiFernet([Fernet(key) for key in keys]),
        key_id=hashlib.sha256(keys[0]).hexdigest()[:12],
    )


def cipher() -> Cipher:
    """The cipher for the keys configured now (cached by their values)."""
    configured = tuple(settings.KREDITAX_AUDIT_KEYS)
    return _cipher(configured, "" if configured else settings.KREDITAX_PII_KEY)


def key_id() -> str:
    """A short, non-secret identifier of the current encryption key (for rotation)."""
    return cipher().key_id


def encrypt_inputs(values: Mapping[str, Any]) -> str:
    return cipher().encrypt(values)


def decrypt_inputs(token: str) -> dict[str, Any]:
    return cipher().decrypt(token)
