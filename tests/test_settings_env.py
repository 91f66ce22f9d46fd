"""Settings come from the environment through strict helpers."""

from __future__ import annotations

from pathlib import Path

import pytest
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

MISSING = "/nonexistent/kreditax-secret"


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
