"""Recompute every record hash and checkpoint; list each that does not hold and exit 1."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.sealing import audit_verify


class Command(BaseCommand):
    help = "Verify the audit trail: record and event hashes, checkpoints, chains."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", type=date.fromisoformat, help="YYYY-MM-DD")

    def handle(self, *args: Any, **options: Any) -> None:
        result = audit_verify(since=options["since"])
        counts = (
            f"{result.records_checked} records, {result.checkpoints_checked} checkpoints, "
            f"{result.events_checked} events, {result.event_checkpoints_checked} event checkpoints"
        )
        if result.ok:
            self.stdout.write(f"Audit trail holds: {counts} verified.")
            return
        for problem in result.problems:
            self.stdout.write(f"- {problem}")
        unlisted = result.problem_count - len(result.problems)
        if unlisted:
            self.stdout.write(f"- and {unlisted} more")
        raise CommandError(
            f"Audit trail does NOT hold: {result.problem_count} problem(s) in {counts} "
            f"checked; the first: {result.problem}"
        )
