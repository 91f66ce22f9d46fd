"""Seal the settled audit records now (beat does it every minute)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from audit.sealing import audit_events_seal, audit_seal


class Command(BaseCommand):
    help = "Seal every settled decision record since the last checkpoint."

    def handle(self, *args: Any, **options: Any) -> None:
        checkpoint = audit_seal()
        events = audit_events_seal()
        if events is not None:
            self.stdout.write(
                f"Event checkpoint {events.sequence}: {events.record_count} events sealed."
            )
        if checkpoint is None:
            self.stdout.write("Nothing to seal.")
            return
        self.stdout.write(
            f"Checkpoint {checkpoint.sequence}: {checkpoint.record_count} records sealed."
        )
