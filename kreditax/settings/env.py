"""Tiny typed helpers that read settings from the environment (healthchecks style).

Each helper also honours ``NAME_FILE``: the value is read from that file (Docker secrets).
An unset or empty variable gives the default; a malformed value or an unreadable file is
refused with ``ImproperlyConfigured`` naming the variable, never replaced by the default.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

TRUE_VALUES = ("1", "true", "yes", "on")
FALSE_VALUES = ("0", "false", "no", "off")


class UnreadableFile(ImproperlyConfigured):
    """``NAME_FILE`` names a file that cannot be read."""


def env(name: str, default: str = "", *, file_errors: dict[str, str] | None = None) -> str:
    """``NAME``, or the stripped contents of the file that ``NAME_FILE`` names.

    An unreadable file raises ``UnreadableFile``. For secrets, pass ``file_errors``: the
    problem is recorded there under ``name`` instead (the ``kreditax.E002`` system check
    reports it) and the value is empty, never the default.
    """
    path = os.environ.get(f"{name}_FILE")
    if not path:
        return os.environ.get(name, default)
    try:
        return _read_file(name, path)
    except UnreadableFile as exc:
        if file_errors is None:
            raise
        file_errors[name] = str(exc)
        return ""


def _read_file(name: str, path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip()
    except OSError as exc:
        raise UnreadableFile(f"{name}_FILE={path} cannot be read: {exc.strerror}.") from None
    except UnicodeDecodeError:
        raise UnreadableFile(f"{name}_FILE={path} cannot be read: not UTF-8 text.") from None


def envbool(name: str, default: bool) -> bool:
    """1/0, true/false, yes/no or on/off, in any case."""
    value = env(name).strip()
    if not value:
        return default
    if value.lower() in TRUE_VALUES:
        return True
    if value.lower() in FALSE_VALUES:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of 1/0, true/false, yes/no, on/off (any case), got {value!r}."
    )


def envint(name: str, default: int) -> int:
    value = env(name).strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}.") from None


def envfloat(name: str, default: float) -> float:
    """A finite number: ``nan`` and ``inf`` are refused too."""
    value = env(name).strip()
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise ImproperlyConfigured(f"{name} must be a finite number, got {value!r}.")
    return number


def envlist(
    name: str, default: str = "", *, file_errors: dict[str, str] | None = None
) -> list[str]:
    """Comma-separated; blank items are dropped."""
    value = env(name, default, file_errors=file_errors)
    return [item.strip() for item in value.split(",") if item.strip()]


def envpath(name: str) -> Path | None:
    """A path, or None when the variable is unset or empty."""
    value = env(name).strip()
    return Path(value) if value else None
