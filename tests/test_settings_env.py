"""Settings come from the environment through strict helpers, and import no app."""

from __future__ import annotations

import ast
import runpy
from pathlib import Path
from typing import Any

import pytest
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from kreditax.settings.env import (
    UnreadableFile,
    env,
    envbool,
    envfloat,
    envint,
    envlist,
    envpath,
)
from kreditax.settings.schedule import crontab_from

ROOT = Path(__file__).resolve().parent.parent
MISSING = "/nonexistent/kreditax-secret"


def _base_settings(monkeypatch: pytest.MonkeyPatch, **environ: str) -> dict[str, Any]:
    """``kreditax.settings.base`` evaluated afresh with these variables (and no others of
    the names this file uses)."""
    for name in (
        "KREDITAX_RETRAIN_CRON",
        "KREDITAX_RETRAIN_DIR",
        "KREDITAX_RETRAIN_SPEC",
        "KREDITAX_RETRAIN_ALGORITHM",
        "KREDITAX_PII_KEY",
        "KREDITAX_PII_KEY_FILE",
        "DJANGO_SECRET_KEY_FILE",
        "KREDITAX_AUDIT_KEYS_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "kreditax" / "settings" / "base.py"))


# --- envbool ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        *[("1", True), ("true", True), ("YES", True), ("On", True), (" on ", True)],
        *[("0", False), ("False", False), ("no", False), ("OFF", False)],
    ],
)
def test_envbool_accepts_the_usual_spellings_in_any_case(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: bool
) -> None:
    monkeypatch.setenv("KX_FLAG", value)
    assert envbool("KX_FLAG", not expected) is expected


@pytest.mark.parametrize("value", [None, "", "  "])
def test_envbool_gives_the_default_when_unset_or_empty(
    monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    monkeypatch.delenv("KX_FLAG", raising=False)
    if value is not None:
        monkeypatch.setenv("KX_FLAG", value)
    assert envbool("KX_FLAG", True) is True
    assert envbool("KX_FLAG", False) is False


def test_envbool_refuses_anything_else_naming_the_variable_and_the_accepted_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KX_FLAG", "yes please")
    with pytest.raises(ImproperlyConfigured) as refused:
        envbool("KX_FLAG", False)
    assert str(refused.value) == (
        "KX_FLAG must be one of 1/0, true/false, yes/no, on/off (any case), got 'yes please'."
    )


# --- envint, envfloat ---------------------------------------------------------------------


def test_envint_reads_an_integer_or_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KX_COUNT", " 12 ")
    assert envint("KX_COUNT", 3) == 12
    monkeypatch.setenv("KX_COUNT", "")
    assert envint("KX_COUNT", 3) == 3


@pytest.mark.parametrize("value", ["abc", "1.5", "12 rows"])
def test_envint_refuses_a_non_integer_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("KX_COUNT", value)
    with pytest.raises(ImproperlyConfigured) as refused:
        envint("KX_COUNT", 3)
    assert str(refused.value) == f"KX_COUNT must be an integer, got {value!r}."


def test_envfloat_reads_a_number_or_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KX_SECONDS", "2.5")
    assert envfloat("KX_SECONDS", 1.0) == 2.5
    monkeypatch.delenv("KX_SECONDS")
    assert envfloat("KX_SECONDS", 1.0) == 1.0


@pytest.mark.parametrize("value", ["abc", "nan", "inf", "-Infinity"])
def test_envfloat_refuses_a_non_number_or_a_non_finite_one(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("KX_SECONDS", value)
    with pytest.raises(ImproperlyConfigured) as refused:
        envfloat("KX_SECONDS", 1.0)
    assert str(refused.value) == f"KX_SECONDS must be a finite number, got {value!r}."


# --- env, NAME_FILE, envlist, envpath -----------------------------------------------------


def test_env_reads_name_file_first_and_strips_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret = tmp_path / "secret"
    secret.write_text("from-the-file\n", encoding="utf-8")
    monkeypatch.setenv("KX_SECRET", "from-the-variable")
    monkeypatch.setenv("KX_SECRET_FILE", str(secret))
    assert env("KX_SECRET", "default") == "from-the-file"


def test_env_refuses_an_unreadable_name_file_naming_the_variable_and_the_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KX_SECRET_FILE", MISSING)
    with pytest.raises(UnreadableFile) as refused:
        env("KX_SECRET", "default")
    assert isinstance(refused.value, ImproperlyConfigured)
    assert str(refused.value) == (
        f"KX_SECRET_FILE={MISSING} cannot be read: No such file or directory."
    )


def test_env_refuses_a_name_file_that_is_not_utf8(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    binary = tmp_path / "secret.bin"
    binary.write_bytes(b"\xff\xfe\x00")
    monkeypatch.setenv("KX_SECRET_FILE", str(binary))
    with pytest.raises(UnreadableFile) as refused:
        env("KX_SECRET")
    assert str(refused.value) == f"KX_SECRET_FILE={binary} cannot be read: not UTF-8 text."


def test_a_secret_whose_file_is_unreadable_is_recorded_and_empty_never_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KX_SECRET_FILE", MISSING)
    errors: dict[str, str] = {}
    assert env("KX_SECRET", "a-development-default", file_errors=errors) == ""
    assert envlist("KX_SECRET", "a,b", file_errors=errors) == []
    assert errors == {
        "KX_SECRET": f"KX_SECRET_FILE={MISSING} cannot be read: No such file or directory."
    }


def test_envlist_splits_on_commas_and_drops_blanks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KX_ITEMS", " a, ,b ,")
    assert envlist("KX_ITEMS") == ["a", "b"]


def test_envpath_is_none_when_unset_or_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KX_DIR", raising=False)
    assert envpath("KX_DIR") is None
    monkeypatch.setenv("KX_DIR", " ")
    assert envpath("KX_DIR") is None
    monkeypatch.setenv("KX_DIR", "/srv/data")
    assert envpath("KX_DIR") == Path("/srv/data")


# --- The crontab helper -------------------------------------------------------------------


def test_a_five_field_cron_becomes_a_crontab() -> None:
    assert crontab_from("KX_CRON", "0 2 1 * *") == crontab(minute="0", hour="2", day_of_month="1")


def test_a_cron_without_five_fields_is_refused_naming_the_variable() -> None:
    with pytest.raises(ImproperlyConfigured) as refused:
        crontab_from("KX_CRON", "0 2 1 *")
    assert str(refused.value) == (
        "KX_CRON must have five fields (minute hour day month weekday), got '0 2 1 *'."
    )


def test_a_cron_field_out_of_range_is_refused_naming_the_variable() -> None:
    with pytest.raises(ImproperlyConfigured) as refused:
        crontab_from("KX_CRON", "99 2 1 * *")
    message = str(refused.value)
    assert message.startswith("KX_CRON is not a valid crontab (")
    assert message.endswith("): '99 2 1 * *'.")


# --- The settings module ------------------------------------------------------------------


def test_the_beat_schedule_without_a_retrain_cron(monkeypatch: pytest.MonkeyPatch) -> None:
    schedule = _base_settings(monkeypatch)["CELERY_BEAT_SCHEDULE"]
    assert schedule == {
        "seal-audit-trail": {"task": "audit.tasks.seal_audit_trail", "schedule": 60.0},
        "prune-idempotency-records": {
            "task": "scoring.tasks.prune_idempotency_records",
            "schedule": 86400.0,
        },
        "training-reap-stale-runs": {
            "task": "training.tasks.reap_stale_training_runs",
            "schedule": 60.0,
        },
        "portfolio-reap-stale-runs": {
            "task": "portfolio.tasks.reap_stale_portfolio_runs",
            "schedule": 60.0,
        },
        "policy-reap-stale-simulation-runs": {
            "task": "policy.tasks.reap_stale_simulation_runs",
            "schedule": 60.0,
        },
        "training-verify-model-artifacts": {
            "task": "training.tasks.verify_model_artifacts",
            "schedule": 300.0,
        },
        "monitoring-daily-snapshot": {
            "task": "monitoring.tasks.snapshot_previous_day",
            "schedule": crontab(minute="30", hour="0"),
        },
    }


def test_the_artifact_check_interval_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loaded = _base_settings(monkeypatch, KREDITAX_ARTIFACT_CHECK_SECONDS="60")
    entry = loaded["CELERY_BEAT_SCHEDULE"]["training-verify-model-artifacts"]
    assert entry == {"task": "training.tasks.verify_model_artifacts", "schedule": 60.0}


def test_a_retrain_cron_adds_the_monthly_retrain(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded = _base_settings(monkeypatch, KREDITAX_RETRAIN_CRON=" 0 2 1 * * ")
    retrain = loaded["CELERY_BEAT_SCHEDULE"]["training-scheduled-retrain"]
    assert loaded["KREDITAX_RETRAIN_CRON"] == "0 2 1 * *"
    assert retrain == {
        "task": "training.tasks.scheduled_retrain",
        "schedule": crontab(minute="0", hour="2", day_of_month="1"),
    }
    without = _base_settings(monkeypatch)["CELERY_BEAT_SCHEDULE"]
    assert set(loaded["CELERY_BEAT_SCHEDULE"]) - set(without) == {"training-scheduled-retrain"}


def test_the_settings_refuse_a_malformed_retrain_cron(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ImproperlyConfigured) as refused:
        _base_settings(monkeypatch, KREDITAX_RETRAIN_CRON="monthly")
    assert str(refused.value) == (
        "KREDITAX_RETRAIN_CRON must have five fields (minute hour day month weekday), "
        "got 'monthly'."
    )


def test_the_training_settings_have_their_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "KREDITAX_TRAINING_HEARTBEAT_SECONDS",
        "KREDITAX_TRAINING_STALE_SECONDS",
        "KREDITAX_TRAINING_PROGRESS_SECONDS",
        "KREDITAX_TRAINING_SOFT_TIME_LIMIT",
        "KREDITAX_TRAINING_TIME_LIMIT",
    ):
        monkeypatch.delenv(name, raising=False)
    loaded = _base_settings(monkeypatch)
    assert (
        loaded["KREDITAX_TRAINING_HEARTBEAT_SECONDS"],
        loaded["KREDITAX_TRAINING_STALE_SECONDS"],
        loaded["KREDITAX_TRAINING_PROGRESS_SECONDS"],
        loaded["KREDITAX_TRAINING_SOFT_TIME_LIMIT"],
        loaded["KREDITAX_TRAINING_TIME_LIMIT"],
    ) == (15.0, 120.0, 2.0, 14400, 14700)
    assert (
        loaded["KREDITAX_RETRAIN_DIR"],
        loaded["KREDITAX_RETRAIN_SPEC"],
        loaded["KREDITAX_RETRAIN_ALGORITHM"],
    ) == (None, None, "xgboost")


def test_the_simulation_reaper_settings_have_defaults_and_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    names = (
        "KREDITAX_SIMULATION_HEARTBEAT_SECONDS",
        "KREDITAX_SIMULATION_STALE_SECONDS",
        "KREDITAX_SIMULATION_QUEUED_SECONDS",
    )
    for name in names:
        monkeypatch.delenv(name, raising=False)
    defaults = _base_settings(monkeypatch)
    assert tuple(defaults[name] for name in names) == (15.0, 300.0, 21600.0)
    loaded = _base_settings(
        monkeypatch,
        KREDITAX_SIMULATION_HEARTBEAT_SECONDS="2",
        KREDITAX_SIMULATION_STALE_SECONDS="30",
        KREDITAX_SIMULATION_QUEUED_SECONDS="600",
    )
    assert tuple(loaded[name] for name in names) == (2.0, 30.0, 600.0)


def test_a_worker_started_with_only_environment_variables_honours_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loaded = _base_settings(
        monkeypatch,
        KREDITAX_TRAINING_HEARTBEAT_SECONDS="1",
        KREDITAX_TRAINING_STALE_SECONDS="1.5",
        KREDITAX_TRAINING_PROGRESS_SECONDS="0",
        KREDITAX_TRAINING_SOFT_TIME_LIMIT="60",
        KREDITAX_TRAINING_TIME_LIMIT="90",
        KREDITAX_RETRAIN_DIR="/srv/retrain",
        KREDITAX_RETRAIN_SPEC="/srv/retrain/spec.yaml",
        KREDITAX_RETRAIN_ALGORITHM="lightgbm",
    )
    assert (
        loaded["KREDITAX_TRAINING_HEARTBEAT_SECONDS"],
        loaded["KREDITAX_TRAINING_STALE_SECONDS"],
        loaded["KREDITAX_TRAINING_PROGRESS_SECONDS"],
        loaded["KREDITAX_TRAINING_SOFT_TIME_LIMIT"],
        loaded["KREDITAX_TRAINING_TIME_LIMIT"],
    ) == (1.0, 1.5, 0.0, 60, 90)
    assert (
        loaded["KREDITAX_RETRAIN_DIR"],
        loaded["KREDITAX_RETRAIN_SPEC"],
        loaded["KREDITAX_RETRAIN_ALGORITHM"],
    ) == (Path("/srv/retrain"), Path("/srv/retrain/spec.yaml"), "lightgbm")


def test_the_settings_record_an_unreadable_secret_file_for_the_system_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loaded = _base_settings(monkeypatch, KREDITAX_PII_KEY_FILE=MISSING)
    assert loaded["KREDITAX_PII_KEY"] == ""
    assert loaded["KREDITAX_SECRET_FILE_ERRORS"] == {
        "KREDITAX_PII_KEY": (
            f"KREDITAX_PII_KEY_FILE={MISSING} cannot be read: No such file or directory."
        )
    }


def test_the_settings_refuse_an_unreadable_file_of_a_non_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(UnreadableFile) as refused:
        _base_settings(monkeypatch, KREDITAX_TRAINING_THREADS_FILE=MISSING)
    assert str(refused.value) == (
        f"KREDITAX_TRAINING_THREADS_FILE={MISSING} cannot be read: No such file or directory."
    )


def test_the_settings_refuse_a_malformed_number(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ImproperlyConfigured) as refused:
        _base_settings(monkeypatch, KREDITAX_TRAINING_STALE_SECONDS="two minutes")
    assert str(refused.value) == (
        "KREDITAX_TRAINING_STALE_SECONDS must be a finite number, got 'two minutes'."
    )


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_settings_import_no_app() -> None:
    apps = {path.parent.name for path in ROOT.glob("*/apps.py")} - {"kreditax"}
    imported = {
        path.name: sorted(name for name in _imported_modules(path) if name.split(".")[0] in apps)
        for path in sorted((ROOT / "kreditax" / "settings").glob("*.py"))
    }
    assert "training" in apps
    assert {name: found for name, found in imported.items() if found} == {}
