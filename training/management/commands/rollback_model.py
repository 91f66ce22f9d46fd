"""Roll the champion back to a former champion, with a reason."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from registry.errors import PromotionRefused
from registry.services import model_version_rollback
from training.services import command_operator


class Command(BaseCommand):
    help = (
        "Make a former champion champion again; who, when, from, to and why are kept. "
        "It must accept the applications the champion accepts."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("label")
        parser.add_argument("--reason", required=True, help="why (kept in the alias history)")
        parser.add_argument(
            "--user",
            default=None,
            help="the username to record (must exist); default: the operating-system user",
        )
        parser.add_argument(
            "--override-reason",
            default="",
            help="roll back to a READY version that was never champion; recorded as "
            "'override: <reason>'",
        )
        parser.add_argument(
            "--schema-change-reason",
            default="",
            help="roll back although the version refuses applications the champion accepts "
            "(the loan systems changed their payloads); recorded as 'schema change: <reason>'",
        )

    def handle(self, *args: Any, label: str, **options: Any) -> None:
        try:
            operator = command_operator(username=options["user"])
            version = model_version_rollback(
                label=label,
                by=operator.user,
                by_name=operator.name,
                reason=options["reason"],
                override_reason=options["override_reason"],
                schema_change_reason=options["schema_change_reason"],
            )
        except (PromotionRefused, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{version.label} is the champion again.")
