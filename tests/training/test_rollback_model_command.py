from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from registry.models import ModelAliasChange
from registry.selectors import champion_version
from registry.services import model_version_promote

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
