from __future__ import annotations

import getpass
from collections.abc import Callable
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from registry.models import ModelAlias, ModelAliasChange, ModelVersion
from registry.services import model_version_promote

pytestmark = pytest.mark.django_db

MakeVersion = Callable[..., ModelVersion]


def test_make_challenger_points_the_alias_and_records_who_and_why(
    make_version: MakeVersion, monkeypatch: pytest.MonkeyPatch
) -> None:
    model_version_promote(label=make_version("v1").label)
    v2 = make_version("v2")
    monkeypatch.setattr(getpass, "getuser", lambda: "ds-rina")
    stdout = StringIO()
    call_command("make_challenger", "v2", "--reason", "shadow for a month", stdout=stdout)
    assert stdout.getvalue() == "v2 is the challenger.\n"
    assert ModelAlias.objects.get(name="challenger").version == v2
    change = ModelAliasChange.objects.get(alias="challenger")
    assert (change.from_version, change.to_version, change.reason) == (
        None,
        v2,
        "shadow for a month",
    )
    assert (change.changed_by, change.changed_by_name) == (None, "os:ds-rina")


def test_make_challenger_records_the_user_named_by_user(make_version: MakeVersion) -> None:
    model_version_promote(label=make_version("v1").label)
    make_version("v2")
    user = User.objects.create_user("ds-rina")
    call_command("make_challenger", "v2", reason="shadow", user="ds-rina", stdout=StringIO())
    change = ModelAliasChange.objects.get(alias="challenger")
    assert (change.changed_by, change.changed_by_name) == (user, "ds-rina")


@pytest.mark.parametrize(
    ("label", "options", "message"),
    [
        ("v1", {"reason": "shadow"}, "v1 is the champion already"),
        ("ghost", {"reason": "shadow"}, "No model version is labelled 'ghost'"),
        ("failed", {"reason": "shadow"}, "failed is FAILED"),
        ("v2", {"reason": "  "}, "needs a reason"),
        ("v2", {"reason": "shadow", "user": "nobody"}, "No user is named 'nobody'"),
    ],
)
def test_refused_challengers_write_nothing(
    make_version: MakeVersion, label: str, options: dict[str, str], message: str
) -> None:
    model_version_promote(label=make_version("v1").label)
    make_version("v2")
    make_version("failed", status=ModelVersion.Status.FAILED)
    changes = ModelAliasChange.objects.count()
    with pytest.raises(CommandError, match=message):
        call_command("make_challenger", label, stdout=StringIO(), **options)
    assert ModelAlias.objects.get(name="challenger").version is None
    assert ModelAliasChange.objects.count() == changes
