"""Compute the monitoring baseline of a version trained before baselines were stored."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from monitoring.baselines import model_version_baseline_backfill
from monitoring.selectors import MonitoringError, monitored_version


class Command(BaseCommand):
    help = (
        "Compute and store a model version's monitoring baseline: from its recorded training "
        "data when still available (same SHA-256), else from its first 30 days of decisions."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("label", help="the model version's label")
        parser.add_argument(
            "--from-decisions",
            action="store_true",
            help="use the first 30 days of decisions even when the training data is there",
        )

    def handle(self, *args: Any, label: str, from_decisions: bool, **options: Any) -> None:
        try:
            version = monitored_version(label=label)
            baseline = model_version_baseline_backfill(
                version=version, from_decisions=from_decisions
            )
        except MonitoringError as exc:
            raise CommandError(str(exc)) from exc
        source = "training data" if baseline.source == "training" else "first decisions"
        self.stdout.write(
            f"Baseline of {version.label} computed from its {source}: score over "
            f"{baseline.score.n} row(s), {len(baseline.fields)} field(s)."
        )
