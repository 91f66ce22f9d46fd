"""Every switch of the champion keeps the fields the loan systems send, or says why not."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User

from credit_ml.spec import load_spec
from registry.errors import PromotionRefused
from registry.models import ModelAlias, ModelAliasChange, ModelVersion
from registry.selectors import champion_version, model_version_schema_changes
from registry.services import (
    model_version_make_challenger,
    model_version_promote,
    model_version_rollback,
)
from tests.training.conftest import GERMAN_SPEC

pytestmark = pytest.mark.django_db

MakeVersion = Callable[..., ModelVersion]


@pytest.fixture
def lender(make_version: MakeVersion) -> ModelVersion:
    """A READY version trained on the German credit spec (other fields than the built-in)."""
    return make_version("german", dataset_spec=load_spec(GERMAN_SPEC).to_dict())


@pytest.fixture
def builtin_champion(make_version: MakeVersion) -> ModelVersion:
    version = make_version("builtin")
    model_version_promote(label="builtin")
    return version


def test_the_schema_changes_name_what_the_loan_systems_would_be_refused(
    builtin_champion: ModelVersion, lender: ModelVersion
) -> None:
    changes = model_version_schema_changes(serving=builtin_champion, candidate=lender)
    assert changes[:2] == ("application_id: no longer accepted", "full_name: no longer accepted")
    assert "duration_in_month: a new required field" in changes
    assert "age_in_years: a new required field" not in changes  # protected: optional
    assert model_version_schema_changes(serving=builtin_champion, candidate=builtin_champion) == ()


def test_promoting_a_version_with_other_fields_is_refused_and_nothing_is_written(
    builtin_champion: ModelVersion, lender: ModelVersion
) -> None:
    changes = ModelAliasChange.objects.count()
    with pytest.raises(PromotionRefused) as refused:
        model_version_promote(label="german", override_reason="it is better")
    message = str(refused.value)
    assert message.startswith(
        "Model version german refuses applications the champion builtin accepts "
        "(application_id: no longer accepted; full_name: no longer accepted;"
    )
    assert "more): loan systems would get 400 errors." in message
    assert message.endswith("give a schema change reason.")
    assert champion_version() == builtin_champion
    assert ModelAliasChange.objects.count() == changes


def test_a_schema_change_reason_lets_the_promotion_through_and_is_recorded(
    builtin_champion: ModelVersion, lender: ModelVersion
) -> None:
    model_version_promote(
        label="german",
        override_reason="no comparable rows",
        schema_change_reason="the LOS sends the German fields since release 4.2",
        reason="new portfolio",
    )
    assert champion_version() == lender
    change = ModelAliasChange.objects.filter(alias="champion").first()
    assert change is not None
    assert change.reason == (
        "override: no comparable rows; schema change: the LOS sends the German fields since "
        "release 4.2; new portfolio"
    )


def test_rollback_to_a_version_with_other_fields_is_refused_even_with_an_override(
    builtin_champion: ModelVersion, lender: ModelVersion
) -> None:
    changes = ModelAliasChange.objects.count()
    with pytest.raises(PromotionRefused, match="refuses applications the champion builtin"):
        model_version_rollback(
            label="german", by=None, reason="incident", override_reason="the only other"
        )
    assert champion_version() == builtin_champion
    assert ModelAliasChange.objects.count() == changes


def test_rollback_goes_only_to_a_former_champion(
    make_version: MakeVersion, builtin_champion: ModelVersion
) -> None:
    make_version("never-champion")
    changes = ModelAliasChange.objects.count()
    with pytest.raises(PromotionRefused, match="never-champion was never champion"):
        model_version_rollback(label="never-champion", by=None, reason="incident")
    assert champion_version() == builtin_champion
    assert ModelAliasChange.objects.count() == changes


def test_rollback_to_a_version_never_champion_needs_an_override_reason_which_is_recorded(
    make_version: MakeVersion, builtin_champion: ModelVersion
) -> None:
    version = make_version("never-champion")
    ops = User.objects.create_user("ops-budi")
    model_version_rollback(
        label="never-champion",
        by=ops,
        reason="incident 17",
        override_reason="the retrain of last week, validated offline",
    )
    assert champion_version() == version
    change = ModelAliasChange.objects.filter(alias="champion").first()
    assert change is not None
    assert change.reason == (
        "rollback: incident 17; override: the retrain of last week, validated offline"
    )
    assert (change.changed_by, change.changed_by_name) == (ops, "ops-budi")


def test_rollback_to_a_former_champion_with_the_same_fields_needs_no_override(
    make_version: MakeVersion, builtin_champion: ModelVersion
) -> None:
    make_version("next")
    model_version_promote(label="next", override_reason="rows only")
    model_version_rollback(label="builtin", by=None, reason="next approves too much")
    assert champion_version() == builtin_champion


def test_a_challenger_promoted_to_champion_stops_being_challenger_and_that_is_recorded(
    make_version: MakeVersion, builtin_champion: ModelVersion
) -> None:
    challenger = make_version("challenger")
    model_version_make_challenger(label="challenger", by=None, reason="shadow a month")
    ds = User.objects.create_user("ds-citra")

    model_version_promote(label="challenger", promoted_by=ds, override_reason="rows only")

    assert champion_version() == challenger
    assert ModelAlias.objects.get(name="challenger").version is None
    cleared = ModelAliasChange.objects.filter(alias="challenger").first()
    assert cleared is not None
    assert (cleared.from_version, cleared.to_version) == (challenger, None)
    assert (cleared.changed_by, cleared.reason) == (ds, "became champion")


def test_promoting_another_version_leaves_the_challenger_alone(
    make_version: MakeVersion, builtin_champion: ModelVersion
) -> None:
    challenger = make_version("challenger")
    make_version("other")
    model_version_make_challenger(label="challenger", by=None, reason="shadow a month")
    model_version_promote(label="other", override_reason="rows only")
    assert ModelAlias.objects.get(name="challenger").version == challenger
    assert ModelAliasChange.objects.filter(alias="challenger").count() == 1
