from __future__ import annotations

import getpass
from collections.abc import Callable
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from credit_ml.spec import load_spec
from registry.models import ModelAliasChange, ModelVersion
from registry.selectors import champion_version
from tests.training.conftest import GERMAN_SPEC

pytestmark = pytest.mark.django_db


def test_promote_model_moves_the_champion_and_records_the_reason(
    make_version: Callable[..., ModelVersion],
) -> None:
    version = make_version("v2")
    stdout = StringIO()
    call_command("promote_model", "v2", "--reason", "challenger won for 30 days", stdout=stdout)
    assert stdout.getvalue() == "v2 is the champion.\n"
    assert champion_version() == version
    change = ModelAliasChange.objects.get()
    assert (change.to_version, change.reason, change.changed_by) == (
        version,
        "challenger won for 30 days",
        None,
    )
    assert change.changed_by_name == f"os:{getpass.getuser()}"


def test_promote_model_records_the_user_named_by_user(
    make_version: Callable[..., ModelVersion],
) -> None:
    make_version("v1")
    user = User.objects.create_user("risk-ani")
    call_command("promote_model", "v1", "--user", "risk-ani", "--reason", "go", stdout=StringIO())
    change = ModelAliasChange.objects.get()
    assert (change.changed_by, change.changed_by_name, change.reason) == (user, "risk-ani", "go")


def test_promote_model_without_user_records_the_operating_system_account(
    make_version: Callable[..., ModelVersion], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_version("v1")
    monkeypatch.setattr(getpass, "getuser", lambda: "deploy")
    call_command("promote_model", "v1", "--reason", "go", stdout=StringIO())
    change = ModelAliasChange.objects.get()
    assert (change.changed_by, change.changed_by_name) == (None, "os:deploy")


def test_promote_model_refuses_an_unknown_user_and_records_nothing(
    make_version: Callable[..., ModelVersion],
) -> None:
    make_version("v1")
    with pytest.raises(CommandError, match="No user is named 'ghost'"):
        call_command("promote_model", "v1", "--user", "ghost", stdout=StringIO())
    assert champion_version() is None
    assert ModelAliasChange.objects.count() == 0


def test_promote_model_refuses_other_fields_without_a_schema_change_reason(
    make_version: Callable[..., ModelVersion],
) -> None:
    make_version("builtin")
    call_command("promote_model", "builtin", stdout=StringIO())
    make_version("german", dataset_spec=load_spec(GERMAN_SPEC).to_dict())
    with pytest.raises(CommandError, match="give a schema change reason"):
        call_command("promote_model", "german", "--override-reason", "no rows", stdout=StringIO())
    assert ModelAliasChange.objects.count() == 1
    stdout = StringIO()
    call_command(
        "promote_model",
        "german",
        "--override-reason",
        "no rows",
        "--schema-change-reason",
        "LOS 4.2 sends the German fields",
        stdout=stdout,
    )
    assert stdout.getvalue() == "german is the champion.\n"
    assert ModelAliasChange.objects.first().reason == (  # type: ignore[union-attr]
        "override: no rows; schema change: LOS 4.2 sends the German fields"
    )


def test_promote_model_refuses_a_failed_version_and_records_nothing(
    make_version: Callable[..., ModelVersion],
) -> None:
    make_version("bad", status=ModelVersion.Status.FAILED)
    with pytest.raises(CommandError, match="bad is FAILED"):
        call_command("promote_model", "bad", stdout=StringIO())
    assert champion_version() is None
    assert ModelAliasChange.objects.count() == 0


def test_promote_model_refuses_an_unknown_label() -> None:
    with pytest.raises(CommandError, match="No model version is labelled 'ghost'"):
        call_command("promote_model", "ghost", stdout=StringIO())
    assert ModelAliasChange.objects.count() == 0
