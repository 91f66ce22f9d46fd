"""Configuration problems reported as Django system checks (``manage.py check``, and before
``migrate`` and ``runserver``). Registered by ``kreditax.apps.KreditaxConfig``.

Errors: ``kreditax.E001`` artifact directory, ``E002`` unreadable secret file, ``E003``
malformed audit key, ``E004`` empty PII key, ``E005`` fewer than one thread.
Warnings: ``kreditax.W001`` more threads than cores.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning

THREAD_SETTINGS = ("KREDITAX_TRAINING_THREADS", "KREDITAX_SCORING_THREADS")


def artifact_dir_check(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    """``kreditax.E001``: model versions are saved in an existing, writable directory."""
    path = Path(settings.KREDITAX_ARTIFACT_DIR)
    if not path.exists():
        problem = "does not exist"
    elif not path.is_dir():
        problem = "is not a directory"
    elif not os.access(path, os.W_OK | os.X_OK):
        problem = "is not writable"
    else:
        return []
    return [
        Error(
            f"KREDITAX_ARTIFACT_DIR {path} {problem}.",
            hint="Model versions are saved there: create the directory (writable by this "
            "user) or point KREDITAX_ARTIFACT_DIR at the model store.",
            id="kreditax.E001",
        )
    ]


def secret_files_check(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    """``kreditax.E002``: every secret's ``NAME_FILE`` could be read (the settings record it)."""
    return [
        Error(
            message,
            hint=f"Fix the path or permissions of {name}_FILE, or unset it and set {name}.",
            id="kreditax.E002",
        )
        for name, message in settings.KREDITAX_SECRET_FILE_ERRORS.items()
    ]


def audit_keys_check(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    """``kreditax.E003``: each ``KREDITAX_AUDIT_KEYS`` entry is a Fernet key (as
    ``audit.crypto`` parses it). The message names its position, never its value."""
    keys = list(settings.KREDITAX_AUDIT_KEYS)
    return [
        Error(
            f"KREDITAX_AUDIT_KEYS: key {position} of {len(keys)} is not a Fernet key "
            "(32 url-safe base64-encoded bytes).",
            hint='Generate one with: python -c "from cryptography.fernet import Fernet; '
            'print(Fernet.generate_key().decode())"',
            id="kreditax.E003",
        )
        for position, key in enumerate(keys, start=1)
        if not _is_fernet_key(key)
    ]


def _is_fernet_key(key: str) -> bool:
    try:
        Fernet(key.encode("ascii"))
    except ValueError:  # binascii.Error and UnicodeEncodeError are ValueErrors too
        return False
    return True


def pii_key_check(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    """``kreditax.E004``: the HMAC key for personal-data look-ups is not empty."""
    if str(settings.KREDITAX_PII_KEY).strip():
        return []
    return [
        Error(
            "KREDITAX_PII_KEY is empty.",
            hint="NIK, phone and e-mail look-ups are keyed with it: set a long random value.",
            id="kreditax.E004",
        )
    ]


def threads_check(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    """``kreditax.E005`` fewer than one thread; ``kreditax.W001`` more threads than cores."""
    cores = os.cpu_count()
    messages: list[CheckMessage] = []
    for name in THREAD_SETTINGS:
        threads = int(getattr(settings, name))
        if threads < 1:
            messages.append(
                Error(f"{name} is {threads}; it must be at least 1.", id="kreditax.E005")
            )
        elif cores is not None and threads > cores:
            messages.append(
                Warning(
                    f"{name} is {threads}, more than the {cores} cores of this machine.",
                    hint="Threads beyond the cores only compete with the web workers for them.",
                    id="kreditax.W001",
                )
            )
    return messages


ALL = (artifact_dir_check, secret_files_check, audit_keys_check, pii_key_check, threads_check)
