"""Encryption of the exact model inputs kept for replay (Fernet, with key rotation).

Keys come from ``KREDITAX_AUDIT_KEYS``: a comma-separated list of Fernet keys, newest first.
New records are encrypted with the first; any listed key decrypts (MultiFernet), so a key is
rotated by putting a new one in front and keeping the old ones until re-encryption.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class AuditKeyError(RuntimeError):
    """The inputs cannot be decrypted with any configured key."""


def _keys() -> list[bytes]:
    configured: list[str] = list(settings.KREDITAX_AUDIT_KEYS)
    if configured:
        return [key.encode("ascii") for key in configured]
    # Development fallback: a key derived from the PII key (production requires real keys).
    digest = hashlib.sha256(f"audit:{settings.KREDITAX_PII_KEY}".encode()).digest()
    return [base64.urlsafe_b64encode(digest)]


def key_id() -> str:
    """A short, non-secret identifier of the current encryption key (for rotation)."""
    return hashlib.sha256(_keys()[0]).hexdigest()[:12]


def encrypt_inputs(values: Mapping[str, Any]) -> str:
    payload = json.dumps(values, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return MultiFernet([Fernet(k) for k in _keys()]).encrypt(payload).decode("ascii")


def decrypt_inputs(token: str) -> dict[str, Any]:
    try:
        payload = MultiFernet([Fernet(k) for k in _keys()]).decrypt(token.encode("ascii"))
    except InvalidToken:
        raise AuditKeyError("No configured audit key decrypts these inputs.") from None
    result: dict[str, Any] = json.loads(payload)
    return result
