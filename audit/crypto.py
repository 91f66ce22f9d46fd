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
from collections.abc import Mapping
from dataclasses import dataclass
from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

#: Canonical JSON: sorted keys, no whitespace, ASCII only (``check_circular`` only changes
#: the error raised for a value that contains itself, which JSON cannot hold anyway).
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), check_circular=False)


def _make_c_encoder() -> Any:
    """The C encoder ``_CANONICAL.encode`` builds on every call, built once (``None`` where
    the accelerator is missing or takes other arguments: then ``_CANONICAL`` is used)."""
    if c_make_encoder is None:
        return None
    try:
        return c_make_encoder(
            None, _CANONICAL.default, encode_basestring_ascii, None, ":", ",", True, False, True
        )
    except TypeError:  # pragma: no cover - another Python's signature
        return None


_c_encoder = _make_c_encoder()


def canonical_json(value: Any) -> str:
    """``json.dumps(value, sort_keys=True, separators=(",", ":"))``, without building an
    encoder per call (the same C encoder ``JSONEncoder.encode`` builds, made once)."""
    if _c_encoder is None:  # pragma: no cover - CPython 3.11 has the C accelerator
        return _CANONICAL.encode(value)
    if type(value) is str:
        return encode_basestring_ascii(value)
    return "".join(_c_encoder(value, 0))


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
