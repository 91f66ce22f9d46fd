"""The review services' domain errors; the API and the pages turn them into answers."""

from __future__ import annotations

from collections.abc import Mapping


class ReviewError(Exception):
    """Base: ``message`` is safe to show (never holds personal data)."""

    code = "invalid"

    def __init__(self, message: str, *, fields: Mapping[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = {k: list(v) for k, v in (fields or {}).items()}


class InvalidResolution(ReviewError):
    """A field of a resolution is wrong (decision, reason code, note)."""


class HardRuleNotOverridable(ReviewError):
    """An OJK rule in force failed: nobody may approve the application."""

    code = "hard_rule"


class CaseNotFound(ReviewError):
    code = "not_found"


class CaseConflict(ReviewError):
    """The case is not in a state that allows this step (or another case is open)."""

    code = "conflict"


class StepRefused(ReviewError):
    """This person may not take this step (e.g. approve their own override)."""

    code = "permission_denied"


class ObjectionWindowClosed(ReviewError):
    """The applicant may object only until ``KREDITAX_OBJECTION_WINDOW_DAYS`` after the decision."""

    code = "objection_window_closed"
