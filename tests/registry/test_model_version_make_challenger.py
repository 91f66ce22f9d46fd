from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from registry.errors import PromotionRefused
from registry.models import ModelAlias, ModelAliasChange, ModelVersion
from registry.services import model_version_make_challenger, model_version_promote

pytestmark = pytest.mark.django_db


def test_a_ready_version_becomes_challenger_and_the_change_is_recorded(
    make_version: Any,
) -> None:
    user = User.objects.create_user("ds")
    model_version_promote(label=make_version("v1").label)
    v2 = make_version("v2")
    model_version_make_challenger(label="v2", by=user, reason="shadow for a month")
    assert ModelAlias.objects.get(name="challenger").version == v2
    change = ModelAliasChange.objects.filter(alias="challenger").get()
    assert (change.from_version, change.to_version, change.changed_by) == (None, v2, user)
    assert change.reason == "shadow for a month"


@pytest.mark.parametrize(
    ("label", "message"),
    [
        ("champion", "is the champion already"),
        ("pending", "is PENDING"),
        ("missing", "No model version is labelled 'missing'"),
    ],
)
def test_refused_challengers_write_nothing(make_version: Any, label: str, message: str) -> None:
    model_version_promote(label=make_version("champion").label)
    make_version("pending", status=ModelVersion.Status.PENDING)
    changes = ModelAliasChange.objects.count()
    with pytest.raises(PromotionRefused, match=message):
        model_version_make_challenger(label=label, by=None, reason="")
    assert ModelAlias.objects.get(name="challenger").version is None
    assert ModelAliasChange.objects.count() == changes
