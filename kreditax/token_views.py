"""People's token endpoints: obtain, refresh and log out (``registry.people_tokens``).

``POST /api/v1/auth/token`` with the admin's name and password gives an access token and a
refresh token; wrong credentials count towards the sign-in lockout (``kreditax.logins``)
exactly as the admin's sign-in page does, and during a lockout the answer is 429.
``POST /api/v1/auth/token/refresh`` gives a new access token and a new refresh token (the
old one is revoked); ``POST /api/v1/auth/token/logout`` revokes the refresh token sent.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.serializers import (
    TokenBlacklistSerializer,
    TokenObtainPairSerializer,
    TokenRefreshSerializer,
)
from rest_framework_simplejwt.tokens import Token
from rest_framework_simplejwt.views import (
    TokenBlacklistView,
    TokenObtainPairView,
    TokenRefreshView,
)

from kreditax.logins import retry_after_seconds
from registry.people_tokens import (
    person_of_token,
    person_refresh_token,
    person_refresh_tokens_revoke,
)
from scoring.api.schema_docs import error_serializer


class PersonTokenObtainSerializer(TokenObtainPairSerializer):
    @classmethod
    def get_token(cls, user: Any) -> Token:
        return person_refresh_token(user)

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        request = self.context["request"]
        try:
            data = super().validate(attrs)
        except exceptions.AuthenticationFailed:
            if getattr(request, "axes_locked_out", False):
                raise exceptions.Throttled(wait=retry_after_seconds(request)) from None
            raise
        return data


class PersonTokenRefreshSerializer(TokenRefreshSerializer):
    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        refresh = self.token_class(attrs["refresh"])
        if person_of_token(refresh) is None:
            user_id = refresh.get("user_id")
            if user_id:  # the password changed, or the person may no longer sign in
                person_refresh_tokens_revoke(user_id=int(user_id))
            raise InvalidToken("The refresh token is no longer valid.")
        return super().validate(attrs)


def _docs(
    summary: str, description: str, request: dict[str, Any], response: dict[str, Any]
) -> dict[str, Any]:
    error = error_serializer()
    name = summary.title().replace(" ", "")
    return {
        "summary": summary,
        "description": description,
        "tags": ["auth"],
        "auth": [],
        "request": inline_serializer(name=f"{name}Request", fields=request),
        "responses": {
            200: inline_serializer(name=f"{name}Response", fields=response),
            400: OpenApiResponse(error, description="A field is missing or invalid."),
            401: OpenApiResponse(error, description="Wrong credentials, or a token not valid."),
            429: OpenApiResponse(error, description="Locked out after failed sign-ins."),
        },
    }


def _token() -> serializers.CharField:
    return serializers.CharField()


class PersonTokenObtainView(TokenObtainPairView):
    serializer_class = PersonTokenObtainSerializer

    @extend_schema(
        **_docs(
            "Obtain people tokens",
            "A staff member's name and password (as on the admin's sign-in page) give a "
            "short-lived access token (send `Authorization: Bearer <access>`) and a refresh "
            "token. Failures count towards the sign-in lockout.",
            {"username": serializers.CharField(), "password": serializers.CharField()},
            {"access": _token(), "refresh": _token()},
        )
    )
    def post(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        return super().post(request, *args, **kwargs)


class PersonTokenRefreshView(TokenRefreshView):
    serializer_class = PersonTokenRefreshSerializer

    @extend_schema(
        **_docs(
            "Refresh people tokens",
            "A new access token and a new refresh token; the refresh token sent is revoked. "
            "Refused after a password change, logout or lockout.",
            {"refresh": _token()},
            {"access": _token(), "refresh": _token()},
        )
    )
    def post(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        return super().post(request, *args, **kwargs)


class PersonTokenLogoutView(TokenBlacklistView):
    serializer_class = TokenBlacklistSerializer

    @extend_schema(
        **_docs(
            "Revoke a refresh token",
            "Logs out: the refresh token sent is revoked.",
            {"refresh": _token()},
            {},
        )
    )
    def post(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        return super().post(request, *args, **kwargs)
