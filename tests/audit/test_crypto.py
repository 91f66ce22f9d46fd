"""Exact model inputs are stored only encrypted; keys rotate without losing old records."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.fernet import Fernet

from audit import crypto

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()
INPUTS = {"age": 36, "monthly_income": 12_500_000.0, "province": "31"}


def test_inputs_round_trip_and_are_not_readable_in_the_token(settings: Any) -> None:
    settings.KREDITAX_AUDIT_KEYS = [OLD]
    token = crypto.encrypt_inputs(INPUTS)
    assert "12500000" not in token
    assert crypto.decrypt_inputs(token) == INPUTS


def test_a_record_encrypted_under_an_old_key_decrypts_after_a_new_key_is_put_in_front(
    settings: Any,
) -> None:
    settings.KREDITAX_AUDIT_KEYS = [OLD]
    old_token, old_id = crypto.encrypt_inputs(INPUTS), crypto.key_id()
    settings.KREDITAX_AUDIT_KEYS = [NEW, OLD]
    assert crypto.decrypt_inputs(old_token) == INPUTS
    assert crypto.key_id() != old_id
    settings.KREDITAX_AUDIT_KEYS = [NEW]
    with pytest.raises(crypto.AuditKeyError):
        crypto.decrypt_inputs(old_token)


def test_new_records_are_encrypted_under_the_first_key(settings: Any) -> None:
    settings.KREDITAX_AUDIT_KEYS = [NEW, OLD]
    token = crypto.encrypt_inputs(INPUTS)
    settings.KREDITAX_AUDIT_KEYS = [NEW]
    assert crypto.decrypt_inputs(token) == INPUTS
