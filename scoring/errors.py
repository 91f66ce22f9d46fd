"""Errors the scoring services raise; the API renders each as its status and error body.

Messages are written for the client: they name the field and the reason and never carry
internal exception text.
"""

from __future__ import annotations

from collections.abc import Mapping


class ServiceError(Exception):
    status = 400
    code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        fields: Mapping[str, list[str]] | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = {k: list(v) for k, v in (fields or {}).items()}
        if code is not None:
            self.code = code


class InvalidInput(ServiceError):
    status = 400
    code = "invalid"


class Forbidden(ServiceError):
    status = 403
    code = "permission_denied"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Conflict(ServiceError):
    status = 409
    code = "idempotency_conflict"


class Unavailable(ServiceError):
    status = 503
    code = "unavailable"
