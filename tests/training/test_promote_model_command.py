from __future__ import annotations

from collections.abc import Callable
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from registry.models import ModelAliasChange, ModelVersion
from registry.selectors import champion_version

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
