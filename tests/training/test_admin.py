from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from credit_ml.spec import load_spec
from registry.models import ModelAlias, ModelAliasChange, ModelVersion
from registry.selectors import champion_version
from registry.services import model_version_promote
from tests.training.conftest import GERMAN_SPEC

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:registry_modelversion_changelist"


@pytest.fixture
def admin_user_client(client: Client) -> tuple[Client, User]:
    user = User.objects.create_superuser("admin", "admin@example.test", "pw")
    client.force_login(user)
    return client, user


def _promote(client: Client, *versions: ModelVersion) -> list[str]:
    response = client.post(
        reverse(CHANGELIST),
        {"action": "promote_to_champion", "_selected_action": [v.pk for v in versions]},
        follow=True,
    )
    assert response.status_code == 200
    return [str(message) for message in response.context["messages"]]


def test_the_changelist_shows_label_status_champion_and_test_auc(
    admin_user_client: tuple[Client, User], make_version: Callable[..., ModelVersion]
) -> None:
    client, _ = admin_user_client
    make_version("xgboost-one")
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert b"xgboost-one" in response.content
    assert b"0.7500" in response.content


def test_the_admin_action_promotes_one_ready_version_and_records_the_user(
    admin_user_client: tuple[Client, User], make_version: Callable[..., ModelVersion]
) -> None:
    client, user = admin_user_client
    version = make_version("v1")
    assert _promote(client, version) == ["v1 is the champion."]
    assert champion_version() == version
    change = ModelAliasChange.objects.get()
    assert (change.to_version, change.changed_by) == (version, user)


def test_the_admin_action_refuses_a_failed_version_with_a_message(
    admin_user_client: tuple[Client, User], make_version: Callable[..., ModelVersion]
) -> None:
    client, _ = admin_user_client
    failed = make_version("broken", status=ModelVersion.Status.FAILED)
    assert _promote(client, failed) == [
        "Model version broken is FAILED; only READY versions can be promoted."
    ]
    assert ModelAliasChange.objects.count() == 0


def test_the_admin_action_needs_exactly_one_version(
    admin_user_client: tuple[Client, User], make_version: Callable[..., ModelVersion]
) -> None:
    client, _ = admin_user_client
    assert _promote(client, make_version("a"), make_version("b")) == [
        "Select exactly one version to promote."
    ]
    assert ModelAliasChange.objects.count() == 0


def test_the_registry_cannot_be_edited_or_deleted_in_the_admin(
    admin_user_client: tuple[Client, User], make_version: Callable[..., ModelVersion]
) -> None:
    client, _ = admin_user_client
    version = make_version("v1")
    assert client.get(reverse("admin:registry_modelversion_add")).status_code == 403
    assert client.get(reverse("admin:registry_modelaliaschange_add")).status_code == 403
    delete_url = reverse("admin:registry_modelversion_delete", args=[version.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    assert ModelVersion.objects.filter(pk=version.pk).exists()


def test_the_promote_action_is_hidden_from_view_only_staff(
    client: Client, make_version: Callable[..., ModelVersion]
) -> None:
    from django.contrib.auth.models import Permission

    viewer = User.objects.create_user("auditor", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_modelversion"))
    client.force_login(viewer)
    version = make_version("v1")
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert b"promote_to_champion" not in response.content
    _promote(client, version)
    assert ModelAliasChange.objects.count() == 0


def test_a_version_and_the_alias_history_open_read_only(
    admin_user_client: tuple[Client, User], make_version: Callable[..., ModelVersion]
) -> None:
    client, _ = admin_user_client
    version = make_version("v1")
    _promote(client, version)
    change = ModelAliasChange.objects.get()
    page = client.get(reverse("admin:registry_modelversion_change", args=[version.pk]))
    history = client.get(reverse("admin:registry_modelaliaschange_change", args=[change.pk]))
    assert (page.status_code, history.status_code) == (200, 200)
    assert b'name="_save"' not in page.content
    assert client.get(reverse("admin:registry_modelaliaschange_changelist")).status_code == 200


def test_the_make_challenger_action_points_the_alias_and_records_the_user(
    admin_user_client: tuple[Client, User], make_version: Callable[..., ModelVersion]
) -> None:
    client, user = admin_user_client
    model_version_promote(label=make_version("v1").label)
    v2 = make_version("v2")
    response = client.post(
        reverse(CHANGELIST),
        {"action": "make_challenger", "_selected_action": [v2.pk]},
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == ["v2 is the challenger."]
    assert ModelAlias.objects.get(name="challenger").version == v2
    change = ModelAliasChange.objects.get(alias="challenger")
    assert (change.changed_by, change.reason) == (user, "made challenger in the admin")
    listed = client.get(reverse(CHANGELIST))
    assert b"challenger" in listed.content


def test_the_make_challenger_action_refuses_the_champion_and_writes_nothing(
    admin_user_client: tuple[Client, User], make_version: Callable[..., ModelVersion]
) -> None:
    client, _ = admin_user_client
    v1 = make_version("v1")
    model_version_promote(label="v1")
    response = client.post(
        reverse(CHANGELIST),
        {"action": "make_challenger", "_selected_action": [v1.pk]},
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == [
        "Model version v1 is the champion already."
    ]
    assert ModelAliasChange.objects.filter(alias="challenger").count() == 0


def test_the_promote_action_refuses_a_version_with_other_fields_and_writes_nothing(
    admin_user_client: tuple[Client, User], make_version: Callable[..., ModelVersion]
) -> None:
    client, _ = admin_user_client
    builtin = make_version("builtin")
    model_version_promote(label="builtin")
    german = make_version("german", dataset_spec=load_spec(GERMAN_SPEC).to_dict())
    [message] = _promote(client, german)
    assert message.startswith("Model version german refuses applications the champion builtin")
    assert champion_version() == builtin
    assert ModelAliasChange.objects.count() == 1


def test_the_override_page_takes_a_schema_change_reason_and_records_it(
    admin_user_client: tuple[Client, User], make_version: Callable[..., ModelVersion]
) -> None:
    client, user = admin_user_client
    builtin = make_version("builtin")
    model_version_promote(label="builtin")
    german = make_version("german", dataset_spec=load_spec(GERMAN_SPEC).to_dict())
    url = reverse("admin:registry_modelversion_promote_override", args=[german.pk])

    refused = client.post(url, {"override_reason": "pilot"})
    assert refused.status_code == 200
    [error] = refused.context["form"].non_field_errors()
    assert error.startswith("Model version german refuses applications the champion builtin")
    assert champion_version() == builtin

    accepted = client.post(
        url, {"override_reason": "pilot", "schema_change_reason": "LOS sends German fields"}
    )
    assert accepted.status_code == 302
    assert champion_version() == german
    change = ModelAliasChange.objects.filter(alias="champion").first()
    assert change is not None
    assert (change.changed_by, change.reason) == (
        user,
        "override: pilot; schema change: LOS sends German fields",
    )


def test_the_alias_history_shows_who_a_command_ran_as(
    admin_user_client: tuple[Client, User], make_version: Callable[..., ModelVersion]
) -> None:
    client, _ = admin_user_client
    make_version("v1")
    model_version_promote(label="v1", by_name="os:deploy")
    response = client.get(reverse("admin:registry_modelaliaschange_changelist"))
    assert b"os:deploy" in response.content
