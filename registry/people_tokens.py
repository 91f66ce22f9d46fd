"""People's tokens: short-lived JWT access tokens and refresh tokens (simplejwt) for staff.

Back-office integrations of signed-in people (compliance, credit officers, model and policy
managers) send ``Authorization: Bearer <access token>``; the role matrix applies to a token
exactly as to a session, because the token authenticates the same ``User`` and every
permission check reads that user's groups.

Only active staff (the people who may sign in to the admin) get tokens. Every token carries
the person's session hash (Django's keyed hash of the password hash, as a session does), so
a password change ends every token at once: an access token is refused on its next request,
a refresh token is refused and all the person's refresh tokens are revoked (blacklisted).
Refresh tokens are also revoked on logout (``/api/v1/auth/token/logout``) and by a sign-in
lockout (``kreditax.logins``); rotating one revokes the old one.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken, Token

#: The claim holding the person's session hash (changes with the password).
AUTH_HASH_CLAIM = "auth_hash"


def _session_hash(user: AbstractBaseUser) -> str:
    return str(user.get_session_auth_hash())


def person_refresh_token(user: AbstractBaseUser) -> RefreshToken:
    """A new refresh token (outstanding) whose access tokens and rotations carry the person's
    session hash."""
    token = RefreshToken.for_user(user)
    token[AUTH_HASH_CLAIM] = _session_hash(user)
    return token


def person_may_hold_tokens(user: Any) -> bool:
    """Active staff only: the people who may sign in to the admin (simplejwt's
    ``USER_AUTHENTICATION_RULE``, so no token is made for anyone else; ``None``: nobody)."""
    return user is not None and bool(user.is_active and user.is_staff)


def token_is_current(token: Token, user: AbstractBaseUser) -> bool:
    """The token was issued for the person's current password."""
    return constant_time_compare(str(token.get(AUTH_HASH_CLAIM, "")), _session_hash(user))


def person_of_token(token: Token) -> Any | None:
    """The person a token names, if they may still hold it; else None."""
    user_id = token.get("user_id")
    user = get_user_model()._default_manager.filter(pk=user_id).first() if user_id else None
    if user is None or not person_may_hold_tokens(user) or not token_is_current(token, user):
        return None
    return user


def person_refresh_tokens_revoke(*, user_id: int) -> int:
    """Blacklist every unexpired refresh token of the person not blacklisted yet; how many."""
    outstanding = OutstandingToken.objects.filter(
        user_id=user_id, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True
    )
    revoked = [BlacklistedToken(token=token) for token in outstanding]
    BlacklistedToken.objects.bulk_create(revoked, ignore_conflicts=True)
    return len(revoked)


def username_refresh_tokens_revoke(*, username: str) -> int:
    """``person_refresh_tokens_revoke`` for the person signing in as ``username``, if any."""
    model = get_user_model()
    found = model._default_manager.filter(**{model.USERNAME_FIELD: username})
    user_id = found.values_list("pk", flat=True).first()
    return person_refresh_tokens_revoke(user_id=user_id) if user_id is not None else 0


class PersonJWTAuthentication(JWTAuthentication):
    """``Authorization: Bearer <access token>``: the person, if the token is still theirs."""

    def get_user(self, validated_token: Token) -> Any:
        user = super().get_user(validated_token)
        if not person_may_hold_tokens(user) or not token_is_current(validated_token, user):
            raise AuthenticationFailed("The token is no longer valid.", code="token_not_valid")
        return user


class PersonJWTScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call,unused-ignore]
    """Documents ``Authorization: Bearer <access token>`` in the OpenAPI schema."""

    target_class = "registry.people_tokens.PersonJWTAuthentication"
    name = "PeopleJWT"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": (
                "A signed-in person's access token from `POST /api/v1/auth/token`: send "
                "`Authorization: Bearer <access token>`. The person's roles apply."
            ),
        }
