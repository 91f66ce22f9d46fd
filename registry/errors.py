"""The registry's refusals, shared by its selectors and services."""

from __future__ import annotations


class PromotionRefused(ValueError):
    """Promotion was refused and nothing was written."""


class ModelVersionNotReady(ValueError):
    """The version has no usable artifact (it is PENDING or FAILED)."""
