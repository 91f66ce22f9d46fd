"""The project as an app: it registers the configuration system checks (``kreditax.checks``)."""

from __future__ import annotations

from django.apps import AppConfig
from django.core.checks import register

from kreditax.checks import ALL


class KreditaxConfig(AppConfig):
    name = "kreditax"
    verbose_name = "KreditaX"

    def ready(self) -> None:
        for check in ALL:
            register(check)
