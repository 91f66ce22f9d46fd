from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User

from registry.errors import PromotionRefused
from registry.models import ModelAlias, ModelAliasChange, ModelVersion
from registry.selectors import champion_version
from registry.services import model_version_promote

pytestmark = pytest.mark.django_db

MakeVersion = Callable[..., ModelVersion]


def test_the_aliases_exist_and_point_nowhere_before_any_promotion() -> None:
    aliases: list[tuple[str, int | None]] = list(ModelAlias.objects.values_list("name", "version"))
    assert aliases == [("challenger", None), ("champion", None)]
    assert champion_version() is None


def test_promotion_points_the_champion_alias_and_records_who_when_from_to_and_why(
    make_version: MakeVersion,
) -> None:
    old, new = make_version("old"), make_version("new")
    model_version_promote(label="old")
    officer = User.objects.create_user("risk-officer")

    returned = model_version_promote(
        label="new", promoted_by=officer, reason="better KS", override_reason="no artifacts"
    )

    assert (returned.version, returned.comparison, returned.changed) == (new, None, True)
    assert champion_version() == new
    change = ModelAliasChange.objects.order_by("-id").first()
    assert change is not None
    assert (change.alias, change.from_version, change.to_version) == ("champion", old, new)
    assert (change.changed_by, change.reason) == (officer, "override: no artifacts; better KS")
    assert change.changed_by_name == "risk-officer"
    assert ModelAliasChange.objects.count() == 2


def test_there_is_exactly_one_champion_after_many_promotions(make_version: MakeVersion) -> None:
    versions = [make_version(f"v{i}") for i in range(4)]
    for version in [*versions, versions[1]]:
        model_version_promote(label=version.label, override_reason="registry rows only")
    assert ModelAlias.objects.filter(name="champion").count() == 1
    assert ModelAlias.objects.filter(version__isnull=False).count() == 1
    assert [v.label for v in ModelVersion.objects.all() if v.is_champion] == ["v1"]


def test_the_history_is_a_chain_from_each_champion_to_the_next(make_version: MakeVersion) -> None:
    for label in ["a", "b", "c"]:
        make_version(label)
        model_version_promote(label=label, override_reason="registry rows only")
    chain = list(
        ModelAliasChange.objects.order_by("id").values_list(
            "from_version__label", "to_version__label"
        )
    )
    assert chain == [(None, "a"), ("a", "b"), ("b", "c")]


def test_promoting_the_current_champion_again_changes_and_records_nothing(
    make_version: MakeVersion,
) -> None:
    make_version("same")
    model_version_promote(label="same", reason="first")
    assert not model_version_promote(label="same", reason="again").changed
    assert list(ModelAliasChange.objects.values_list("reason", flat=True)) == ["first"]
    champion = ModelAlias.objects.get(name="champion").version
    assert champion is not None
    assert champion.label == "same"


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (ModelVersion.Status.PENDING, "is PENDING; only READY versions can be promoted"),
        (ModelVersion.Status.FAILED, "is FAILED; only READY versions can be promoted"),
    ],
)
def test_a_version_that_is_not_ready_is_refused_and_nothing_is_recorded(
    make_version: MakeVersion, status: str, message: str
) -> None:
    champion = make_version("champion-now")
    model_version_promote(label="champion-now")
    make_version("not-ready", status=status)
    with pytest.raises(PromotionRefused, match=message):
        model_version_promote(label="not-ready", reason="should not happen")
    assert champion_version() == champion
    assert ModelAliasChange.objects.count() == 1


def test_an_unknown_label_is_refused_and_nothing_is_recorded() -> None:
    with pytest.raises(PromotionRefused, match="No model version is labelled 'ghost'"):
        model_version_promote(label="ghost")
    assert champion_version() is None
    assert ModelAliasChange.objects.count() == 0
