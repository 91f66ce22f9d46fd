"""Admin sign-in lockout (django-axes on the throttle cache): repeated failures lock the name
and the address out, even the right password is then refused, the lockout is recorded once in
the access log, and signing in works again after the cool-off or a reset."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from axes.utils import reset
from django.contrib.auth.models import User
from django.core.cache import caches
from django.test import Client
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from audit.models import AuditAccess

LOGIN = "/admin/login/"
PASSWORD = "right-password-1"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clean_counts() -> Iterator[None]:
    caches["throttle"].clear()
    yield
    caches["throttle"].clear()


@pytest.fixture
def officer() -> User:
    return User.objects.create_user("officer-a", password=PASSWORD, is_staff=True)


def sign_in(client: Client, username: str, password: str) -> int:
    response = client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"})
    return response.status_code


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_thirty_wrong_passwords_then_the_right_one_does_not_sign_in(
    officer: User, caplog: pytest.LogCaptureFixture
) -> None:
    client = Client()
    statuses = [sign_in(client, "officer-a", f"wrong-{n}") for n in range(30)]

    assert statuses == [200] * 4 + [429] * 26  # the form again, then the lockout
    assert sign_in(client, "officer-a", PASSWORD) == 429
    assert not signed_in(client)
    lockouts = AuditAccess.objects.filter(action=AuditAccess.Action.LOCKOUT)
    assert list(lockouts.values_list("user_id", "what", "row_count")) == [
        (officer.pk, {"sign_in": LOGIN, "username": "***r-a", "failures": 5}, 0)
    ]
    assert "officer-a" not in caplog.text


def test_the_lockout_answer_names_the_cool_off(officer: User) -> None:
    client = Client()
    for n in range(5):
        sign_in(client, "officer-a", f"wrong-{n}")

    response = client.post(LOGIN, {"username": "officer-a", "password": PASSWORD})

    assert response.status_code == 429
    assert response["Retry-After"] == str(15 * 60)
    assert "locked out" in response.content.decode()


def test_another_address_is_locked_out_of_the_same_name(officer: User) -> None:
    for n in range(5):
        sign_in(Client(REMOTE_ADDR="10.0.0.1"), "officer-a", f"wrong-{n}")

    assert sign_in(Client(REMOTE_ADDR="10.0.0.2"), "officer-a", PASSWORD) == 429


def test_the_address_is_locked_out_whatever_name_it_tries(officer: User) -> None:
    client = Client(REMOTE_ADDR="10.0.0.3")
    for n in range(5):
        sign_in(client, f"nobody-{n}", "x")

    assert sign_in(client, "officer-a", PASSWORD) == 429
    assert AuditAccess.objects.get(action=AuditAccess.Action.LOCKOUT).user_id is None


def test_failures_below_the_limit_do_not_lock_out_and_success_resets_the_count(
    officer: User,
) -> None:
    client = Client()
    for n in range(4):
        sign_in(client, "officer-a", f"wrong-{n}")
    assert sign_in(client, "officer-a", PASSWORD) == 302
    client.logout()
    for n in range(4):
        sign_in(client, "officer-a", f"wrong-again-{n}")

    assert sign_in(client, "officer-a", PASSWORD) == 302
    assert AuditAccess.objects.count() == 0


def test_a_reset_lifts_the_lockout(officer: User) -> None:
    client = Client()
    for n in range(30):
        sign_in(client, "officer-a", f"wrong-{n}")

    reset(username="officer-a")
    reset(ip="127.0.0.1")

    assert sign_in(client, "officer-a", PASSWORD) == 302
    assert signed_in(client)


def test_the_lockout_ends_after_the_cool_off(
    officer: User, settings: pytest.FixtureRequest
) -> None:
    settings.AXES_COOLOFF_TIME = timedelta(seconds=1)  # type: ignore[attr-defined]
    client = Client()
    for n in range(30):
        sign_in(client, "officer-a", f"wrong-{n}")
    assert sign_in(client, "officer-a", PASSWORD) == 429

    time.sleep(1.2)

    assert sign_in(client, "officer-a", PASSWORD) == 302
    assert signed_in(client)


def test_with_the_lockout_cache_unreachable_nobody_signs_in_and_the_answer_is_503(
    officer: User, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.CACHES = {
        **settings.CACHES,
        "throttle": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        },
    }
    admin = Client(raise_request_exception=False)

    page = admin.post(LOGIN, {"username": "officer-a", "password": PASSWORD})
    token = Client(raise_request_exception=False).post(
        "/api/v1/auth/token",
        {"username": "officer-a", "password": PASSWORD},
        content_type="application/json",
    )

    assert (page.status_code, page["Retry-After"]) == (503, "30")
    assert not signed_in(admin)
    assert token.status_code == 503
    assert token.json()["error"]["code"] == "signin_unavailable"
    assert OutstandingToken.objects.count() == 0
    assert all(record.exc_info is None for record in caplog.records)  # no traceback
    assert [r.getMessage() for r in caplog.records if r.name == "kreditax.logins"] == [
        "Sign-in refused: the lockout cache is unavailable (ConnectionError)"
    ] * 2
