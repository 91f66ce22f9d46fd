"""The replay inputs decrypt to what the standard JSON reader reads from the same plaintext,
value for value and type for type, an integer beyond 64 bits included: a faster reader that
turns it into a float (orjson does) would change what a replay decides on."""

from __future__ import annotations

import json

from cryptography.fernet import Fernet, MultiFernet

from audit.crypto import Cipher


def test_inputs_decrypt_as_the_standard_reader_reads_them() -> None:
    fernet = MultiFernet([Fernet(Fernet.generate_key())])
    cipher = Cipher(fernet=fernet, key_id="t")
    for values in (
        {
            "monthly_income": 12_000_000,
            "annual_interest_rate": 0.185,
            "full_name": "Siti Nurhaliza",
            "province": None,
            "flags": [True, False],
            "tiny": 5e-324,
        },
        {"huge": 2**70, "monthly_income": 7_500_000},
    ):
        token = cipher.encrypt(values)
        back = cipher.decrypt(token)
        expected = json.loads(fernet.decrypt(token.encode("ascii")))
        assert back == expected
        assert [type(v) for v in back.values()] == [type(v) for v in expected.values()]
        assert back["monthly_income"] == values["monthly_income"]
