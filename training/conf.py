"""Training settings, read at call time (never at import).

Each value comes from ``django.conf.settings`` when the project defines it, else from the
environment variable of the same name, else the default here. So a worker started with
only environment variables (as the fault tests do) honours them too.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from kreditax.settings.env import env, envfloat, envint


def _setting_float(name: str, default: float) -> float:
    value = getattr(settings, name, None)
    return float(value) if value is not None else envfloat(name, default)


def _setting_int(name: str, default: int) -> int:
    value = getattr(settings, name, None)
    return int(value) if value is not None else envint(name, default)


def _setting_str(name: str, default: str) -> str:
    value = getattr(settings, name, None)
    return str(value) if value is not None else env(name, default)


def heartbeat_seconds() -> float:
    """Seconds between the worker's heartbeat-thread beats; 0 disables the thread."""
    return _setting_float("KREDITAX_TRAINING_HEARTBEAT_SECONDS", 15.0)


def stale_seconds() -> float:
    """A RUNNING run whose heartbeat is older than this is reaped as "worker lost"."""
    return _setting_float("KREDITAX_TRAINING_STALE_SECONDS", 120.0)


def progress_write_seconds() -> float:
    """Minimum seconds between two progress writes within one stage."""
    return _setting_float("KREDITAX_TRAINING_PROGRESS_SECONDS", 2.0)


def soft_time_limit() -> int:
    """Seconds before the task gets ``SoftTimeLimitExceeded`` (the run ends FAILED)."""
    return _setting_int("KREDITAX_TRAINING_SOFT_TIME_LIMIT", 4 * 3600)


def hard_time_limit() -> int:
    """Seconds before the worker child is killed (the reaper then fails the run)."""
    return _setting_int("KREDITAX_TRAINING_TIME_LIMIT", 4 * 3600 + 300)


def retrain_dir() -> Path | None:
    """The folder whose newest data file the scheduled retrain uses; None disables it."""
    value = _setting_str("KREDITAX_RETRAIN_DIR", "")
    return Path(value) if value else None


def retrain_spec() -> Path | None:
    """The dataset spec for the scheduled retrain; None means the built-in schema."""
    value = _setting_str("KREDITAX_RETRAIN_SPEC", "")
    return Path(value) if value else None


def retrain_algorithm() -> str:
    return _setting_str("KREDITAX_RETRAIN_ALGORITHM", "xgboost")


def data_roots() -> tuple[Path, ...]:
    """Folders from which the API and the admin may train (resolved)."""
    roots = [Path(settings.KREDITAX_DATA_DIR)]
    retrain = retrain_dir()
    if retrain is not None:
        roots.append(retrain)
    return tuple(root.resolve() for root in roots)
