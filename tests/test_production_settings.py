"""Production settings refuse to start without their secrets and a PostgreSQL database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMPLETE = {
    "DJANGO_SECRET_KEY": "a-real-secret",
    "KREDITAX_PII_KEY": "a-real-pii-key",
    "KREDITAX_AUDIT_KEYS": "Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm8=",
    "DATABASE_URL": "postgres://kreditax@db.invalid:5432/kreditax",
}


def _import_production(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in COMPLETE}
    clean.update(env, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-c", "import kreditax.settings.production"],
        env=clean,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_production_starts_with_every_secret_and_postgresql() -> None:
    assert _import_production(COMPLETE).returncode == 0


@pytest.mark.parametrize(
    "missing", ["DJANGO_SECRET_KEY", "KREDITAX_PII_KEY", "KREDITAX_AUDIT_KEYS"]
)
def test_production_refuses_to_start_without_a_secret(missing: str) -> None:
    env = {k: v for k, v in COMPLETE.items() if k != missing}

    done = _import_production(env)

    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr
    assert missing in done.stderr


def test_production_refuses_sqlite() -> None:
    done = _import_production({**COMPLETE, "DATABASE_URL": "sqlite:///tmp/x.sqlite3"})

    assert done.returncode != 0
    assert "Production needs PostgreSQL: set DATABASE_URL." in done.stderr


def test_production_refuses_to_start_with_an_unreadable_secret_file(tmp_path: Path) -> None:
    missing = tmp_path / "pii"
    done = _import_production({**COMPLETE, "KREDITAX_PII_KEY_FILE": str(missing)})

    assert done.returncode != 0
    assert (
        f"UnreadableFile: KREDITAX_PII_KEY_FILE={missing} cannot be read: "
        "No such file or directory." in done.stderr
    )


def test_check_deploy_reports_nothing_under_production_settings(tmp_path: Path) -> None:
    from cryptography.fernet import Fernet

    env = {k: v for k, v in os.environ.items() if k not in COMPLETE}
    env.update(
        COMPLETE,
        DJANGO_SECRET_KEY="k" * 60 + "Xy9!zQ-production-only",
        KREDITAX_AUDIT_KEYS=Fernet.generate_key().decode(),
        KREDITAX_ARTIFACT_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="kreditax.settings.production",
        PYTHONPATH=str(ROOT),
    )
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_logs_one_json_object_per_line_unless_told_plain() -> None:
    probe = (
        "from kreditax.settings import production as p; "
        "print(p.LOGGING['handlers']['console']['formatter'])"
    )
    for env, expected in (
        (COMPLETE, "json"),
        ({**COMPLETE, "KREDITAX_LOG_FORMAT": "plain"}, "plain"),
    ):
        clean = {
            k: v for k, v in os.environ.items() if k not in COMPLETE and k != "KREDITAX_LOG_FORMAT"
        }
        clean.update(env, PYTHONPATH=str(ROOT))
        done = subprocess.run(
            [sys.executable, "-c", probe], env=clean, capture_output=True, text=True, timeout=60
        )
        assert done.stdout.strip() == expected
    refused = _import_production({**COMPLETE, "KREDITAX_LOG_FORMAT": "xml"})
    assert refused.returncode != 0
    assert "KREDITAX_LOG_FORMAT must be plain or json, got 'xml'." in refused.stderr
