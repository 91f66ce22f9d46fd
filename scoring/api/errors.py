"""One error format for every endpoint: ``{"error": {"code", "message", "fields"}}``.

Internal exception text never reaches a client: unexpected errors become a generic 500
(logged with a traceback server-side), client mistakes a 4xx naming the field and reason.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from typing import Any, cast

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response

from scoring.errors import (
    ChampionUnloadable,
    Conflict,
    Forbidden,
    IdempotencyKeyReused,
    InvalidInput,
    NoChampion,
    NotFound,
    RecordNotWritten,
    ScoringError,
    Unavailable,
)

logger = logging.getLogger(__name__)


class ApiError(exceptions.APIException):
    """A client error with a stable code and optional per-field messages."""

    def __init__(
        self,
        *,
        status_code: int,
        code: str,
        message: str,
        fields: Mapping[str, list[str]] | None = None,
    ) -> None:
        super().__init__(detail=message, code=code)
        self.status_code = status_code
        self.error_code = code
        self.message = message
        self.fields = {k: list(v) for k, v in (fields or {}).items()}


def invalid(fields: Mapping[str, list[str]], message: str = "The request is invalid.") -> ApiError:
    return ApiError(status_code=400, code="invalid", message=message, fields=fields)


def error_body(code: str, message: str, fields: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": dict(fields or {})}}


_CODES: dict[type[exceptions.APIException], tuple[str, str]] = {
    exceptions.NotAuthenticated: (
        "not_authenticated",
        "Authentication credentials were not provided.",
    ),
    exceptions.AuthenticationFailed: ("authentication_failed", "The credentials are invalid."),
    exceptions.PermissionDenied: ("permission_denied", "You do not have permission for this."),
    exceptions.NotFound: ("not_found", "Not found."),
    exceptions.MethodNotAllowed: ("method_not_allowed", "This method is not allowed here."),
    exceptions.UnsupportedMediaType: (
        "unsupported_media_type",
        "Send the body as JSON with Content-Type: application/json.",
    ),
    exceptions.NotAcceptable: ("not_acceptable", "Only application/json responses are offered."),
    exceptions.Throttled: ("throttled", "Too many requests; retry later."),
    exceptions.ParseError: ("malformed_json", "The body is not valid JSON."),
}


#: The scoring services' domain errors as HTTP: status and error code, the first class that
#: matches wins (so the specific ones come before their bases).
SCORING_ERRORS: tuple[tuple[type[ScoringError], int, str], ...] = (
    (IdempotencyKeyReused, status.HTTP_409_CONFLICT, "idempotency_conflict"),
    (NoChampion, status.HTTP_503_SERVICE_UNAVAILABLE, "no_champion"),
    (ChampionUnloadable, status.HTTP_503_SERVICE_UNAVAILABLE, "model_unavailable"),
    (RecordNotWritten, status.HTTP_503_SERVICE_UNAVAILABLE, "audit_unavailable"),
    (InvalidInput, status.HTTP_400_BAD_REQUEST, "invalid"),
    (Forbidden, status.HTTP_403_FORBIDDEN, "permission_denied"),
    (NotFound, status.HTTP_404_NOT_FOUND, "not_found"),
    (Conflict, status.HTTP_409_CONFLICT, "conflict"),
    (Unavailable, status.HTTP_503_SERVICE_UNAVAILABLE, "unavailable"),
    (ScoringError, status.HTTP_400_BAD_REQUEST, "invalid"),
)


def scoring_error_response(exc: ScoringError) -> Response:
    """The status code and error body of a scoring service's domain error."""
    status_code, code = next(
        (status_code, code) for cls, status_code, code in SCORING_ERRORS if isinstance(exc, cls)
    )
    return Response(error_body(code, exc.message, exc.fields), status=status_code)


def _fields_of(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, Mapping):
        return {
            str(k): [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in detail.items()
        }
    return {
        "non_field_errors": [str(m) for m in (detail if isinstance(detail, list) else [detail])]
    }


#: The driver's "cannot reach or talk to the database" errors (wrapped by Django): the
#: database is down or restarting, not a bug; Django reconnects on the next request.
DATABASE_DOWN = (OperationalError, InterfaceError)
DATABASE_UNAVAILABLE = ("database_unavailable", "The database is unavailable; retry later.")


def database_unavailable(exc: BaseException) -> Response:
    """503 without a traceback: one warning line naming the driver's error class."""
    logger.warning("Database unavailable: %s", type(exc).__name__)
    return Response(error_body(*DATABASE_UNAVAILABLE), status=status.HTTP_503_SERVICE_UNAVAILABLE)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ScoringError):
        return scoring_error_response(exc)
    if isinstance(exc, DATABASE_DOWN):
        return database_unavailable(exc)
    # Imported here: rest_framework.views reads the parser setting, which imports our
    # parsers, which import this module; a module-level import would make that a cycle.
    from rest_framework.views import exception_handler

    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ApiError):
        body = error_body(exc.error_code, exc.message, exc.fields)
    elif isinstance(exc, exceptions.ValidationError):
        body = error_body("invalid", "The request is invalid.", _fields_of(exc.detail))
    else:
        code, message = next(
            (pair for cls, pair in _CODES.items() if isinstance(exc, cls)), _declared(exc)
        )
        if isinstance(exc, exceptions.ParseError) and isinstance(exc.detail, str):
            message = str(exc.detail)
        body = error_body(code, message)
    response.data = body
    return response


def _declared(exc: Exception) -> tuple[str, str]:
    """The code and message an API exception class declares for itself (never the text of
    a particular exception, which may carry internals); a generic pair for those that do
    not."""
    declared = type(exc)
    if not isinstance(exc, exceptions.APIException) or (
        getattr(declared, "default_code", None) == exceptions.APIException.default_code
    ):
        return "error", "The request could not be processed."
    return str(exc.default_code), str(exc.default_detail)


def json_error_view(status_code: int, code: str, message: str) -> Any:
    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        return JsonResponse(error_body(code, message), status=status_code)

    return view


_internal_error = json_error_view(
    status.HTTP_500_INTERNAL_SERVER_ERROR, "server_error", "An internal error occurred."
)


def server_error(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """``handler500``: a database outage outside DRF (the admin, a session look-up) is a 503.

    Django calls it while handling the exception, so ``sys.exc_info()`` names it.
    """
    if isinstance(sys.exc_info()[1], DATABASE_DOWN):
        return JsonResponse(error_body(*DATABASE_UNAVAILABLE), status=503)
    return cast(JsonResponse, _internal_error(request, *args, **kwargs))
