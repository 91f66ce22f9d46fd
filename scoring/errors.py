"""Domain errors the scoring services raise. They know nothing of HTTP: the API layer
(``scoring.api.errors``) maps each class to a status code and a stable error code.

Messages are written for the client: they name the field and the reason and never carry
internal exception text.
"""

from __future__ import annotations

from collections.abc import Mapping


class ScoringError(Exception):
    """A refused request: a message for the client and, per field, what is wrong."""

    def __init__(self, message: str, *, fields: Mapping[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = {k: list(v) for k, v in (fields or {}).items()}


class InvalidInput(ScoringError):
    """The application or the request is invalid: nothing was decided."""


class Forbidden(ScoringError):
    """The actor may not see this (another client's decision)."""


class NotFound(ScoringError):
    """No such decision."""


class Conflict(ScoringError):
    """The request contradicts an earlier one."""


class IdempotencyKeyReused(Conflict):
    """An ``Idempotency-Key`` already answered another body or endpoint."""


class Unavailable(ScoringError):
    """No decision can be made or recorded now; a retry later may succeed."""


class NoChampion(Unavailable):
    """No model version is champion."""


class ChampionUnloadable(Unavailable):
    """The champion's artifact could not be loaded (or failed verification)."""


class RecordNotWritten(Unavailable):
    """The audit record could not be written, so the decision is not given."""
