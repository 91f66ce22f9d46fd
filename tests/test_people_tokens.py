"""People's tokens (simplejwt): obtain, use, refresh, log out; revoked on logout, password
change and lockout; only active staff get them; failures count towards the sign-in lockout."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import caches
from django.test import Client
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from audit.models import AuditAccess
from registry import roles

TOKEN, REFRESH, LOGOUT = (
    "/api/v1/auth/token",
    "/api/v1/auth/token/refresh",
    "/api/v1/auth/token/logout",
)
AUDIT_LOG = "/api/v1/audit-log"
PASSWORD = "right-password-1"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clean_counts() -> Iterator[None]:
    caches["throttle"].clear()
    yield
    caches["throttle"].clear()


@pytest.fixture
def compliance() -> User:
    user = User.objects.create_user("compliance-a", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=roles.COMPLIANCE_OFFICER))
    return user


def post(url: str, body: dict[str, Any], authorization: str | None = None) -> Any:
    client = Client(HTTP_AUTHORIZATION=authorization) if authorization else Client()
    return client.post(url, body, content_type="application/json")


def tokens(username: str = "compliance-a", password: str = PASSWORD) -> dict[str, str]:
    response = post(TOKEN, {"username": username, "password": password})
    assert response.status_code == 200, response.content
    body: dict[str, str] = response.json()
    return body


def bearer(access: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {access}")


def test_a_staff_member_gets_tokens_and_the_access_token_carries_their_role(
    compliance: User,
) -> None:
    pair = tokens()

    assert set(pair) == {"access", "refresh"}
    assert bearer(pair["access"]).get(AUDIT_LOG).status_code == 200
    assert bearer(pair["access"]).post("/api/v1/predict", {}, "application/json").status_code == 403
    assert OutstandingToken.objects.filter(user=compliance).count() == 1


def test_wrong_credentials_get_401_in_the_json_error_format_and_no_token(compliance: User) -> None:
    response = post(TOKEN, {"username": "compliance-a", "password": "wrong"})

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"
    assert OutstandingToken.objects.count() == 0


def test_a_person_who_may_not_sign_in_to_the_admin_gets_no_token() -> None:
    User.objects.create_user("customer", password=PASSWORD, is_staff=False)

    response = post(TOKEN, {"username": "customer", "password": PASSWORD})

    assert response.status_code == 401
    assert OutstandingToken.objects.count() == 0


def test_a_missing_field_is_a_400_naming_it(compliance: User) -> None:
    response = post(TOKEN, {"username": "compliance-a"})

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"password": ["This field is required."]}


def test_refresh_rotates_and_the_old_refresh_token_is_revoked(compliance: User) -> None:
    pair = tokens()

    rotated = post(REFRESH, {"refresh": pair["refresh"]})
    again = post(REFRESH, {"refresh": pair["refresh"]})

    assert rotated.status_code == 200
    assert set(rotated.json()) == {"access", "refresh"}
    assert bearer(rotated.json()["access"]).get(AUDIT_LOG).status_code == 200
    assert again.status_code == 401
    assert BlacklistedToken.objects.count() == 1


def test_logout_revokes_the_refresh_token(compliance: User) -> None:
    pair = tokens()

    assert post(LOGOUT, {"refresh": pair["refresh"]}).status_code == 200
    refused = post(REFRESH, {"refresh": pair["refresh"]})

    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "authentication_failed"
    assert BlacklistedToken.objects.get().token.user == compliance


def test_a_password_change_ends_every_token_of_the_person(compliance: User) -> None:
    first, second = tokens(), tokens()
    client = Client()
    client.force_login(compliance)
    changed = client.post(
        "/admin/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": "N3w-pass-phrase!",
            "new_password2": "N3w-pass-phrase!",
        },
    )
    assert changed.status_code == 302

    assert bearer(first["access"]).get(AUDIT_LOG).status_code == 401
    assert post(REFRESH, {"refresh": first["refresh"]}).status_code == 401
    assert BlacklistedToken.objects.filter(token__user=compliance).count() == 2
    assert post(REFRESH, {"refresh": second["refresh"]}).status_code == 401
    assert bearer(tokens(password="N3w-pass-phrase!")["access"]).get(AUDIT_LOG).status_code == 200


def test_a_person_removed_from_the_staff_can_use_no_token(compliance: User) -> None:
    pair = tokens()
    compliance.is_staff = False
    compliance.save()

    assert bearer(pair["access"]).get(AUDIT_LOG).status_code == 401
    assert post(REFRESH, {"refresh": pair["refresh"]}).status_code == 401


def test_a_lockout_revokes_the_persons_refresh_tokens(compliance: User) -> None:
    pair = tokens()
    admin = Client(REMOTE_ADDR="10.0.0.9")
    for n in range(5):
        admin.post("/admin/login/", {"username": "compliance-a", "password": f"wrong-{n}"})

    assert post(REFRESH, {"refresh": pair["refresh"]}).status_code == 401
    assert BlacklistedToken.objects.filter(token__user=compliance).count() == 1


def test_thirty_wrong_passwords_then_the_right_one_get_no_token(compliance: User) -> None:
    statuses = [
        post(TOKEN, {"username": "compliance-a", "password": f"wrong-{n}"}).status_code
        for n in range(30)
    ]
    locked = post(TOKEN, {"username": "compliance-a", "password": PASSWORD})

    assert statuses == [401] * 4 + [429] * 26
    assert locked.status_code == 429
    assert locked["Retry-After"] == str(15 * 60)
    assert locked.json()["error"]["code"] == "throttled"
    assert OutstandingToken.objects.count() == 0
    assert list(AuditAccess.objects.values_list("action", "user_id", "what")) == [
        ("LOCKOUT", compliance.pk, {"sign_in": TOKEN, "username": "***e-a", "failures": 5})
    ]


def test_an_api_key_header_does_not_reach_the_token_endpoint(compliance: User) -> None:
    response = post(TOKEN, {"username": "compliance-a", "password": PASSWORD}, "Api-Key x.y")

    assert response.status_code == 200


def test_the_openapi_schema_documents_every_way_to_authenticate(client: Client) -> None:
    schema = client.get("/api/schema/", {"format": "json"}).json()

    schemes = schema["components"]["securitySchemes"]
    assert schemes["PeopleJWT"]["scheme"] == "bearer"
    assert schemes["PeopleJWT"]["bearerFormat"] == "JWT"
    assert schemes["ApiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "Send `Authorization: Api-Key <key>`.",
    }
    assert schemes["cookieAuth"]["in"] == "cookie"
    assert schema["paths"]["/api/v1/audit-log"]["get"]["security"] == [
        {"ApiKey": []},
        {"cookieAuth": []},
        {"PeopleJWT": []},
    ]
    assert set(schema["paths"]["/api/v1/auth/token"]["post"]["responses"]) == {
        "200",
        "400",
        "401",
        "429",
    }
