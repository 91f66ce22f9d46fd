from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from registry import roles
from registry.models import ModelAlias, ModelAliasChange, ModelVersion
from registry.services import api_client_create, model_version_promote
from tests.audit.conftest import staff_in

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.training.urls")]

MakeVersion = Callable[..., ModelVersion]


def _url(label: str) -> str:
    return f"/api/v1/models/{label}/challenger"


def _signed_in(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def versions(make_version: MakeVersion) -> tuple[ModelVersion, ModelVersion]:
    champion = make_version("v1")
    model_version_promote(label="v1")
    return champion, make_version("v2")


def test_a_model_manager_makes_a_version_challenger_and_it_is_recorded(
    versions: tuple[ModelVersion, ModelVersion],
) -> None:
    manager = staff_in(roles.MODEL_MANAGER)
    response = _signed_in(manager).post(_url("v2"), {"reason": "shadow a month"}, format="json")
    assert response.status_code == 200
    assert response.json() == {"alias": "challenger", "model_version": "v2"}
    assert ModelAlias.objects.get(name="challenger").version == versions[1]
    change = ModelAliasChange.objects.get(alias="challenger")
    assert (change.changed_by, change.changed_by_name, change.reason) == (
        manager,
        manager.username,
        "shadow a month",
    )


def test_anonymous_keys_and_users_without_the_permission_are_refused(
    versions: tuple[ModelVersion, ModelVersion],
) -> None:
    assert APIClient().post(_url("v2"), {"reason": "x"}, format="json").status_code == 401
    _, key = api_client_create(name="los-fintech", rule_set_name="fintech")
    keyed = APIClient()
    keyed.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert keyed.post(_url("v2"), {"reason": "x"}, format="json").status_code == 403
    officer = staff_in(roles.COMPLIANCE_OFFICER)
    assert _signed_in(officer).post(_url("v2"), {"reason": "x"}, format="json").status_code == 403
    assert ModelAlias.objects.get(name="challenger").version is None
    assert ModelAliasChange.objects.filter(alias="challenger").count() == 0


@pytest.mark.parametrize(
    ("label", "body", "status", "fields"),
    [
        ("v2", {}, 400, {"reason": ["This field is required."]}),
        ("v2", {"reason": "  "}, 400, {"reason": ["This field may not be blank."]}),
        ("v1", {"reason": "x"}, 400, {"label": ["Model version v1 is the champion already."]}),
        ("ghost", {"reason": "x"}, 404, {}),
    ],
)
def test_refused_requests_name_the_field_and_write_nothing(
    versions: tuple[ModelVersion, ModelVersion],
    label: str,
    body: dict[str, str],
    status: int,
    fields: dict[str, list[str]],
) -> None:
    response = _signed_in(staff_in(roles.MODEL_MANAGER)).post(_url(label), body, format="json")
    assert response.status_code == status
    assert response.json()["error"]["fields"] == fields
    assert ModelAlias.objects.get(name="challenger").version is None
    assert ModelAliasChange.objects.filter(alias="challenger").count() == 0
