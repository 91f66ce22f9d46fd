"""Make a READY model version the challenger: it scores in the champion's shadow."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from registry.errors import PromotionRefused
from registry.services import model_version_make_challenger
from training.services import command_operator


class Command(BaseCommand):
    help = (
        "Point the challenger alias at a READY version: it then scores every application "
        "in the shadow of the champion (recorded, never answered). Who and why are kept."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("label")
        parser.add_argument("--reason", required=True, help="why (kept in the alias history)")
        parser.add_argument(
            "--user",
            default=None,
            help="the username to record (must exist); default: the operating-system user",
        )

    def handle(self, *args: Any, label: str, reason: str, **options: Any) -> None:
        if not reason.strip():
            raise CommandError("Making a challenger needs a reason.")
        try:
            operator = command_operator(username=options["user"])
            version = model_version_make_challenger(
                label=label, by=operator.user, by_name=operator.name, reason=reason.strip()
            )
        except (PromotionRefused, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{version.label} is the challenger.")
