from __future__ import annotations

import getpass
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from credit_ml.spec import load_spec
from registry.models import ModelAliasChange
from registry.selectors import champion_version
from registry.services import model_version_promote
from tests.training.conftest import GERMAN_SPEC

pytestmark = pytest.mark.django_db


def test_rollback_makes_an_earlier_version_champion_and_records_why(make_version: Any) -> None:
    v1, v2 = make_version("v1"), make_version("v2")
    model_version_promote(label="v1")
    model_version_promote(label="v2", override_reason="registry rows only")
    stdout = StringIO()
    call_command("rollback_model", "v1", reason="v2 approves too much", stdout=stdout)
    assert stdout.getvalue() == "v1 is the champion again.\n"
    assert champion_version() == v1
    change = ModelAliasChange.objects.filter(alias="champion").first()
    assert change is not None
    assert (change.from_version, change.to_version) == (v2, v1)
    assert change.reason == "rollback: v2 approves too much"


def test_rollback_to_the_champion_or_without_a_reason_is_refused(make_version: Any) -> None:
    model_version_promote(label=make_version("v1").label)
    changes = ModelAliasChange.objects.count()
    with pytest.raises(CommandError, match="champion already"):
        call_command("rollback_model", "v1", reason="why")
    with pytest.raises(CommandError, match="needs a reason"):
        call_command("rollback_model", "v1", reason=" ")
    assert ModelAliasChange.objects.count() == changes


def test_rollback_to_a_version_never_champion_is_refused_unless_overridden(
    make_version: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    model_version_promote(label=make_version("v1").label)
    v2 = make_version("v2")  # trained later, never champion
    changes = ModelAliasChange.objects.count()
    with pytest.raises(CommandError, match="v2 was never champion"):
        call_command("rollback_model", "v2", reason="v1 misbehaves")
    assert ModelAliasChange.objects.count() == changes

    monkeypatch.setattr(getpass, "getuser", lambda: "oncall")
    call_command(
        "rollback_model",
        "v2",
        "--reason",
        "v1 misbehaves",
        "--override-reason",
        "v2 was validated offline",
        stdout=StringIO(),
    )
    assert champion_version() == v2
    change = ModelAliasChange.objects.filter(alias="champion").first()
    assert change is not None
    assert change.reason == "rollback: v1 misbehaves; override: v2 was validated offline"
    assert (change.changed_by, change.changed_by_name) == (None, "os:oncall")


def test_rollback_to_a_version_with_other_fields_is_refused_so_scoring_keeps_working(
    make_version: Any,
) -> None:
    """The incident of the issue: after this rollback every request got 400 "Unknown field"."""
    model_version_promote(label=make_version("builtin").label)
    make_version("german", dataset_spec=load_spec(GERMAN_SPEC).to_dict())
    changes = ModelAliasChange.objects.count()
    with pytest.raises(CommandError, match="never champion"):
        call_command("rollback_model", "german", reason="try the other model")
    with pytest.raises(CommandError, match="refuses applications the champion builtin"):
        call_command(
            "rollback_model", "german", reason="try the other model", override_reason="urgent"
        )
    assert champion_version().label == "builtin"  # type: ignore[union-attr]
    assert ModelAliasChange.objects.count() == changes


def test_rollback_records_the_user_named_by_user_or_refuses_an_unknown_one(
    make_version: Any,
) -> None:
    v1 = make_version("v1")
    model_version_promote(label="v1")
    model_version_promote(label=make_version("v2").label, override_reason="rows only")
    changes = ModelAliasChange.objects.count()
    with pytest.raises(CommandError, match="No user is named 'nobody'"):
        call_command("rollback_model", "v1", reason="why", user="nobody")
    assert ModelAliasChange.objects.count() == changes
    user = User.objects.create_user("risk-ani")
    call_command("rollback_model", "v1", reason="why", user="risk-ani", stdout=StringIO())
    assert champion_version() == v1
    change = ModelAliasChange.objects.filter(alias="champion").first()
    assert change is not None
    assert (change.changed_by, change.changed_by_name) == (user, "risk-ani")
