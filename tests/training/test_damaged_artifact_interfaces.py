"""A version whose artifact no longer matches its SHA-256, seen through the command, the admin
and the API: a clear refusal, nothing written; ``list_models`` shows it DAMAGED."""

from __future__ import annotations

import json
from collections.abc import Callable
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from registry import roles
from registry.models import ArtifactAlert, ModelAlias, ModelAliasChange, ModelVersion
from registry.selectors import champion_version
from registry.services import model_artifacts_verify, model_version_promote
from tests.audit.conftest import staff_in
from tests.registry.test_damaged_artifacts import tamper

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.training.urls")]

MakeVersion = Callable[..., ModelVersion]


@pytest.fixture
def damaged(make_version: MakeVersion) -> tuple[ModelVersion, ModelVersion]:
    """v2 is champion; v1 was, and its artifact has been changed since (not yet checked)."""
    v1, v2 = make_version("v1"), make_version("v2")
    model_version_promote(label="v1")
    model_version_promote(label="v2", override_reason="registry rows only")
    tamper(v1)
    return v1, v2


def test_the_rollback_command_refuses_a_changed_artifact(
    damaged: tuple[ModelVersion, ModelVersion],
) -> None:
    _, v2 = damaged
    with pytest.raises(CommandError, match=r"^Model version v1's artifact no longer matches"):
        call_command("rollback_model", "v1", reason="v2 approves too much")
    assert champion_version() == v2
    assert ModelAliasChange.objects.count() == 2


def test_the_promote_command_refuses_a_damaged_version(
    damaged: tuple[ModelVersion, ModelVersion],
) -> None:
    model_artifacts_verify()
    with pytest.raises(CommandError, match=r"^Model version v1 is DAMAGED: its artifact"):
        call_command("promote_model", "v1", override_reason="anyway")
    assert ModelAliasChange.objects.count() == 2


def test_the_admin_actions_refuse_a_changed_artifact_with_a_message(
    client: Client, damaged: tuple[ModelVersion, ModelVersion]
) -> None:
    v1, v2 = damaged
    client.force_login(User.objects.create_superuser("admin", "admin@example.test", "pw"))
    for action in ("promote_to_champion", "make_challenger"):
        response = client.post(
            reverse("admin:registry_modelversion_changelist"),
            {"action": action, "_selected_action": [v1.pk]},
            follow=True,
        )
        [message] = [str(m) for m in response.context["messages"]]
        assert message.startswith("Model version v1's artifact no longer matches the registry")
    assert champion_version() == v2
    assert ModelAlias.objects.get(name="challenger").version is None
    assert ModelAliasChange.objects.count() == 2


def test_the_challenger_api_refuses_a_changed_artifact_with_a_400(
    damaged: tuple[ModelVersion, ModelVersion],
) -> None:
    client = APIClient()
    client.force_login(staff_in(roles.MODEL_MANAGER))
    response = client.post("/api/v1/models/v1/challenger", {"reason": "shadow"}, format="json")
    assert response.status_code == 400
    body = response.json()["error"]
    assert list(body["fields"]) == ["label"]
    assert body["fields"]["label"][0].startswith("Model version v1's artifact no longer matches")
    assert ModelAlias.objects.get(name="challenger").version is None


def test_list_models_shows_a_damaged_version(damaged: tuple[ModelVersion, ModelVersion]) -> None:
    model_artifacts_verify()
    stdout = StringIO()
    call_command("list_models", "--json", stdout=stdout)
    statuses = {row["label"]: row["status"] for row in json.loads(stdout.getvalue())}
    assert statuses == {"v1": "DAMAGED", "v2": "READY"}
    table = StringIO()
    call_command("list_models", stdout=table)
    assert [line.split()[:3] for line in table.getvalue().splitlines()[1:]] == [
        ["v2", "xgboost", "READY"],
        ["v1", "xgboost", "DAMAGED"],
    ]


def test_the_alert_is_listed_in_the_admin_for_model_managers_and_compliance(
    client: Client, damaged: tuple[ModelVersion, ModelVersion]
) -> None:
    model_artifacts_verify()
    alert = ArtifactAlert.objects.get()
    for role in (roles.MODEL_MANAGER, roles.COMPLIANCE_OFFICER):
        client.force_login(staff_in(role))
        response = client.get(reverse("admin:registry_artifactalert_changelist"))
        assert response.status_code == 200
        assert alert.message.encode() in response.content
        assert b"Artifact damaged" in response.content


def test_the_verify_command_names_what_it_marked_and_exits_1(
    damaged: tuple[ModelVersion, ModelVersion],
) -> None:
    with pytest.raises(CommandError) as refused:
        call_command("verify_model_artifacts")
    assert str(refused.value) == (
        "1 of 2 version(s) DAMAGED: v1 (see Artifact alerts in the admin)."
    )
    stdout = StringIO()
    call_command("verify_model_artifacts", stdout=stdout)
    assert stdout.getvalue() == "2 version(s) checked: none newly damaged.\n"
