"""Import observed outcomes (request_id, defaulted, observed_at) of recorded decisions."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit.outcomes import OutcomeImportError, outcomes_import


class Command(BaseCommand):
    help = (
        "Import a CSV of outcomes (request_id, defaulted 0/1, observed_at YYYY-MM-DD); "
        "any bad row or unknown request id refuses the whole file."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("path", type=Path)

    def handle(self, *args: Any, path: Path, **options: Any) -> None:
        try:
            result = outcomes_import(path=path)
        except OutcomeImportError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{result.rows} outcome(s) imported: {result.created} new, {result.updated} "
            f"replaced, {result.defaults} default(s)."
        )
