"""Point the champion alias at a READY model version."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from training.services import PromotionRefused, model_version_promote


class Command(BaseCommand):
    help = "Promote a READY model version to champion; the change is recorded with its reason."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("label")
        parser.add_argument("--reason", default="", help="why (kept in the alias history)")

    def handle(self, *args: Any, label: str, reason: str, **options: Any) -> None:
        try:
            version = model_version_promote(label=label, reason=reason)
        except PromotionRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{version.label} is the champion.")
