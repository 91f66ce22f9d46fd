"""Recompute every record hash and checkpoint; exit 1 naming the first that does not hold."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.sealing import audit_verify


class Command(BaseCommand):
    help = "Verify the audit trail: record hashes, checkpoint digests and the chain."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", type=date.fromisoformat, help="YYYY-MM-DD")

    def handle(self, *args: Any, **options: Any) -> None:
        result = audit_verify(since=options["since"])
        counts = f"{result.records_checked} records, {result.checkpoints_checked} checkpoints"
        if result.problem is not None:
            raise CommandError(f"Audit trail does NOT hold: {result.problem} ({counts} ok)")
        self.stdout.write(f"Audit trail holds: {counts} verified.")
