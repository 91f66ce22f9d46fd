"""Managing loan systems' keys: the admin creates (shown once) and revokes, never deletes;
``manage.py revoke_api_key`` revokes by prefix."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command
from rest_framework_api_key.models import APIKey

from audit.models import DecisionRecord
from registry.models import ApiClient, ModelVersion, RuleSet
from registry.services import api_client_create
from tests.scoring.support import VALID, keyed, signed_in

ADD = "/admin/registry/apiclient/add/"


@pytest.fixture
def superuser(db: None) -> User:
    return User.objects.create_superuser("root", password="x")


def test_the_admin_creates_a_key_shown_once_that_authenticates(
    superuser: User, champion: ModelVersion
) -> None:
    rule_set = RuleSet.objects.get(version="bank-2026.2-dsr35")
    client = signed_in(superuser)
    response = client.post(
        ADD,
        {"name": "los-admin", "rule_set": rule_set.pk, "expiry_date_0": "", "expiry_date_1": ""},
    )
    assert response.status_code == 302
    created = ApiClient.objects.get()
    assert (created.name, created.rule_set_id, created.revoked) == ("los-admin", rule_set.pk, False)
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    match = re.search(rf"is: ({created.prefix}\.\S+)\. ", " ".join(shown))
    assert match is not None
    key = match.group(1)
    assert key not in created.hashed_key
    answer = keyed(key).post("/api/v1/predict", VALID, format="json")
    assert answer.status_code == 200
    assert answer.json()["rule_set_version"] == rule_set.version


def test_keys_are_revoked_in_the_admin_never_deleted(
    superuser: User, champion: ModelVersion
) -> None:
    created, key = api_client_create(name="los-x", rule_set_name="fintech")
    client = signed_in(superuser)
    change = f"/admin/registry/apiclient/{created.pk}/change/"
    page = client.get(change)
    assert page.status_code == 200
    assert b"Delete" not in page.content
    assert client.get(f"/admin/registry/apiclient/{created.pk}/delete/").status_code == 403
    response = client.post(
        change,
        {
            "name": "los-x",
            "rule_set": created.rule_set_id,
            "expiry_date_0": "",
            "expiry_date_1": "",
            "revoked": "on",
        },
    )
    assert response.status_code == 302
    assert ApiClient.objects.get().revoked is True
    assert keyed(key).post("/api/v1/predict", VALID, format="json").status_code == 401
    assert DecisionRecord.objects.count() == 0


def test_the_librarys_unused_key_model_is_not_in_the_admin() -> None:
    assert not admin.site.is_registered(APIKey)
    assert admin.site.is_registered(ApiClient)


def test_revoke_api_key_refuses_the_key_from_then_on(champion: ModelVersion) -> None:
    created, key = api_client_create(name="los-y", rule_set_name="fintech")
    assert keyed(key).post("/api/v1/predict", VALID, format="json").status_code == 200
    out = StringIO()
    call_command("revoke_api_key", created.prefix, stdout=out)
    assert out.getvalue() == (
        f"Revoked the API key {created.prefix} of 'los-y'; "
        "every web worker refuses it within 0 s.\n"
    )
    assert ApiClient.objects.get().revoked is True
    assert keyed(key).post("/api/v1/predict", VALID, format="json").status_code == 401
    assert DecisionRecord.objects.count() == 1


def test_revoke_api_key_names_an_unknown_prefix(db: None) -> None:
    with pytest.raises(CommandError, match="No API key with prefix 'nosuchpf'"):
        call_command("revoke_api_key", "nosuchpf")
    assert ApiClient.objects.count() == 0
