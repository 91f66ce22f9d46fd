"""Re-verify every READY model artifact against its SHA-256 now (Celery beat does it every
KREDITAX_ARTIFACT_CHECK_SECONDS); a changed one is marked DAMAGED, with an alert."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from registry.services import model_artifacts_verify


class Command(BaseCommand):
    help = (
        "Hash every READY (and DAMAGED) model artifact against the registry: a changed one "
        "becomes DAMAGED with an alert, a restored one READY again. Exits 1 when one was "
        "found damaged."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        check = model_artifacts_verify()
        for label in check.restored:
            self.stdout.write(f"{label}: restored, READY again")
        if check.damaged:
            raise CommandError(
                f"{len(check.damaged)} of {check.checked} version(s) DAMAGED: "
                f"{', '.join(check.damaged)} (see Artifact alerts in the admin)."
            )
        self.stdout.write(f"{check.checked} version(s) checked: none newly damaged.")
