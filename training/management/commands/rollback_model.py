"""Roll the champion back to an earlier READY version, with a reason."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from registry.errors import PromotionRefused
from registry.services import model_version_rollback


class Command(BaseCommand):
    help = "Make an earlier READY version champion again; who, when, from, to and why are kept."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("label")
        parser.add_argument("--reason", required=True, help="why (kept in the alias history)")

    def handle(self, *args: Any, label: str, reason: str, **options: Any) -> None:
        try:
            version = model_version_rollback(label=label, by=None, reason=reason)
        except PromotionRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{version.label} is the champion again.")
