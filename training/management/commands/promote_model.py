"""Point the champion alias at a READY model version (if it is at least as good)."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from registry.errors import PromotionRefused
from registry.services import model_version_promote


class Command(BaseCommand):
    help = (
        "Promote a READY model version to champion if its AUC is at least the champion's on "
        "the same holdout; the change is recorded with its reason."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("label")
        parser.add_argument("--reason", default="", help="why (kept in the alias history)")
        parser.add_argument(
            "--override-reason",
            default="",
            help="promote without the AUC comparison; recorded as 'override: <reason>'",
        )
        parser.add_argument(
            "--data",
            type=Path,
            default=None,
            help="a labelled file to compare on instead of the candidate's own holdout",
        )

    def handle(
        self,
        *args: Any,
        label: str,
        reason: str,
        override_reason: str,
        data: Path | None,
        **options: Any,
    ) -> None:
        try:
            version = model_version_promote(
                label=label, reason=reason, override_reason=override_reason, data_path=data
            )
        except PromotionRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{version.label} is the champion.")
