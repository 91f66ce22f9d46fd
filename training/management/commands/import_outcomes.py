"""Import observed outcomes of recorded decisions (appended; see ``audit.outcomes``)."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit.outcomes import OutcomeImportError, outcomes_import


class Command(BaseCommand):
    help = (
        "Import a CSV of outcomes: request_id, observed_at YYYY-MM-DD and defaulted 0/1, or "
        "days_past_due and/or collectibility (Kol 1-5) with an optional months_on_book; "
        "observations are appended. Any bad row or unknown request id refuses the whole file."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("path", type=Path)

    def handle(self, *args: Any, path: Path, **options: Any) -> None:
        try:
            result = outcomes_import(path=path)
        except OutcomeImportError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{result.rows} outcome(s) imported: {result.created} new, {result.superseding} "
            f"superseding an earlier observation, {result.defaults} default(s)."
        )
