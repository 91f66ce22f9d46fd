"""Configuration problems are system checks with ids (kreditax.E001 … E005, W001)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.checks import CheckMessage, run_checks
from django.core.management import call_command

from kreditax.checks import (
    artifact_dir_check,
    audit_keys_check,
    pii_key_check,
    secret_files_check,
    threads_check,
)

ROOT = Path(__file__).resolve().parent.parent
NOT_A_KEY = "(32 url-safe base64-encoded bytes)."


def _found(messages: list[CheckMessage]) -> list[tuple[str | None, str]]:
    return [(message.id, message.msg) for message in messages]


# --- kreditax.E001: the artifact directory --------------------------------------------------


def test_an_existing_writable_artifact_dir_passes(settings: Any, tmp_path: Path) -> None:
    settings.KREDITAX_ARTIFACT_DIR = tmp_path
    assert artifact_dir_check(None) == []


def test_a_missing_artifact_dir_is_an_error(settings: Any, tmp_path: Path) -> None:
    settings.KREDITAX_ARTIFACT_DIR = tmp_path / "models"
    messages = artifact_dir_check(None)
    assert _found(messages) == [
        ("kreditax.E001", f"KREDITAX_ARTIFACT_DIR {tmp_path / 'models'} does not exist.")
    ]
    assert messages[0].hint == (
        "Model versions are saved there: create the directory (writable by this user) or "
        "point KREDITAX_ARTIFACT_DIR at the model store."
    )


def test_an_artifact_dir_that_is_a_file_is_an_error(settings: Any, tmp_path: Path) -> None:
    path = tmp_path / "models"
    path.write_text("not a directory")
    settings.KREDITAX_ARTIFACT_DIR = str(path)
    assert _found(artifact_dir_check(None)) == [
        ("kreditax.E001", f"KREDITAX_ARTIFACT_DIR {path} is not a directory.")
    ]


def test_an_artifact_dir_this_user_cannot_write_is_an_error(
    settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # os.access, not chmod: root may write to a read-only directory.
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda path, mode: False if path == tmp_path else real_access(path, mode)
    )
    settings.KREDITAX_ARTIFACT_DIR = tmp_path
    assert _found(artifact_dir_check(None)) == [
        ("kreditax.E001", f"KREDITAX_ARTIFACT_DIR {tmp_path} is not writable.")
    ]


# --- kreditax.E002: unreadable secret files ---------------------------------------------------


def test_no_unreadable_secret_file_passes(settings: Any) -> None:
    settings.KREDITAX_SECRET_FILE_ERRORS = {}
    assert secret_files_check(None) == []


def test_each_unreadable_secret_file_is_an_error(settings: Any) -> None:
    settings.KREDITAX_SECRET_FILE_ERRORS = {
        "KREDITAX_PII_KEY": "KREDITAX_PII_KEY_FILE=/run/secrets/pii cannot be read: "
        "Permission denied.",
        "DJANGO_SECRET_KEY": "DJANGO_SECRET_KEY_FILE=/run/secrets/django cannot be read: "
        "No such file or directory.",
    }
    messages = secret_files_check(None)
    assert _found(messages) == [
        (
            "kreditax.E002",
            "KREDITAX_PII_KEY_FILE=/run/secrets/pii cannot be read: Permission denied.",
        ),
        (
            "kreditax.E002",
            "DJANGO_SECRET_KEY_FILE=/run/secrets/django cannot be read: No such file or directory.",
        ),
    ]
    assert messages[0].hint == (
        "Fix the path or permissions of KREDITAX_PII_KEY_FILE, or unset it and set "
        "KREDITAX_PII_KEY."
    )


def test_manage_py_check_reports_an_unreadable_secret_file_by_its_id(tmp_path: Path) -> None:
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("KREDITAX_", "DJANGO_"))},
        "DJANGO_SETTINGS_MODULE": "kreditax.settings.base",
        "KREDITAX_ARTIFACT_DIR": str(tmp_path),
        "DJANGO_SECRET_KEY_FILE": str(tmp_path / "missing"),
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert (
        f"?: (kreditax.E002) DJANGO_SECRET_KEY_FILE={tmp_path / 'missing'} cannot be read: "
        "No such file or directory." in done.stderr
    )
    assert "System check identified 1 issue (0 silenced)." in done.stderr


# --- kreditax.E003: audit keys ----------------------------------------------------------------


def test_fernet_audit_keys_pass(settings: Any) -> None:
    settings.KREDITAX_AUDIT_KEYS = [Fernet.generate_key().decode(), Fernet.generate_key().decode()]
    assert audit_keys_check(None) == []


def test_no_audit_keys_pass_in_development(settings: Any) -> None:
    settings.KREDITAX_AUDIT_KEYS = []
    assert audit_keys_check(None) == []


def test_each_malformed_audit_key_is_an_error_that_does_not_show_the_key(settings: Any) -> None:
    settings.KREDITAX_AUDIT_KEYS = [
        Fernet.generate_key().decode(),
        "too-short-secret",
        "kunci-rahasia-ü",
        "Zm9vYmFy",
    ]
    messages = audit_keys_check(None)
    assert _found(messages) == [
        ("kreditax.E003", f"KREDITAX_AUDIT_KEYS: key {n} of 4 is not a Fernet key {NOT_A_KEY}")
        for n in (2, 3, 4)
    ]
    assert not any("too-short-secret" in f"{m.msg} {m.hint}" for m in messages)


# --- kreditax.E004: the PII key ---------------------------------------------------------------


def test_a_pii_key_passes(settings: Any) -> None:
    settings.KREDITAX_PII_KEY = "a-long-random-value"
    assert pii_key_check(None) == []


@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_pii_key_is_an_error(settings: Any, value: str) -> None:
    settings.KREDITAX_PII_KEY = value
    messages = pii_key_check(None)
    assert _found(messages) == [("kreditax.E004", "KREDITAX_PII_KEY is empty.")]
    assert messages[0].hint == (
        "NIK, phone and e-mail look-ups are keyed with it: set a long random value."
    )


# --- kreditax.E005 and W001: threads ----------------------------------------------------------


@pytest.fixture
def two_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 2)


@pytest.mark.usefixtures("two_cores")
def test_threads_within_the_cores_pass(settings: Any) -> None:
    settings.KREDITAX_TRAINING_THREADS = 1
    settings.KREDITAX_SCORING_THREADS = 2
    assert threads_check(None) == []


@pytest.mark.usefixtures("two_cores")
def test_more_threads_than_cores_is_a_warning_for_each_setting(settings: Any) -> None:
    settings.KREDITAX_TRAINING_THREADS = 3
    settings.KREDITAX_SCORING_THREADS = 4
    messages = threads_check(None)
    assert _found(messages) == [
        ("kreditax.W001", "KREDITAX_TRAINING_THREADS is 3, more than the 2 cores of this machine."),
        ("kreditax.W001", "KREDITAX_SCORING_THREADS is 4, more than the 2 cores of this machine."),
    ]
    assert (
        messages[0].hint == "Threads beyond the cores only compete with the web workers for them."
    )


@pytest.mark.usefixtures("two_cores")
def test_fewer_than_one_thread_is_an_error(settings: Any) -> None:
    settings.KREDITAX_TRAINING_THREADS = 0
    settings.KREDITAX_SCORING_THREADS = -1
    assert _found(threads_check(None)) == [
        ("kreditax.E005", "KREDITAX_TRAINING_THREADS is 0; it must be at least 1."),
        ("kreditax.E005", "KREDITAX_SCORING_THREADS is -1; it must be at least 1."),
    ]


def test_an_unknown_core_count_warns_about_nothing(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    settings.KREDITAX_TRAINING_THREADS = 64
    assert threads_check(None) == []


# --- Registration -----------------------------------------------------------------------------


def test_the_checks_are_registered(settings: Any, tmp_path: Path) -> None:
    settings.KREDITAX_ARTIFACT_DIR = tmp_path / "missing"
    settings.KREDITAX_SECRET_FILE_ERRORS = {"KREDITAX_PII_KEY": "unreadable"}
    settings.KREDITAX_AUDIT_KEYS = ["not-a-key"]
    settings.KREDITAX_PII_KEY = ""
    settings.KREDITAX_SCORING_THREADS = 0
    settings.KREDITAX_TRAINING_THREADS = 10_000
    ids = sorted(m.id or "" for m in run_checks() if (m.id or "").startswith("kreditax."))
    assert ids == [f"kreditax.E00{n}" for n in range(1, 6)] + ["kreditax.W001"]


def test_the_test_settings_pass_every_check() -> None:
    out = io.StringIO()
    call_command("check", stdout=out)
    assert out.getvalue() == "System check identified no issues (0 silenced).\n"
