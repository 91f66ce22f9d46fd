"""The registry's refusals, shared by its selectors and services."""

from __future__ import annotations


class PromotionRefused(ValueError):
    """Promotion was refused and nothing was written."""


class ModelVersionNotReady(ValueError):
    """The version has no usable artifact (it is PENDING or FAILED)."""


class RuleSetRefused(ValueError):
    """A rule-set draft, approval or refusal was refused and nothing was written.

    ``fields``: each field concerned -> the reasons, for a 4xx body or a form's errors.
    """

    def __init__(self, fields: dict[str, list[str]]) -> None:
        self.fields = fields
        super().__init__("; ".join(f"{name}: {', '.join(why)}" for name, why in fields.items()))
