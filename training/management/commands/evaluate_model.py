"""Evaluate a model version on a labelled dataset; prints the metrics as JSON."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from credit_ml.artifacts import ArtifactError
from registry.models import ModelVersion
from training.services import model_version_evaluate


class Command(BaseCommand):
    help = "Compute AUC, Gini, KS, Brier and log loss of a model version on a labelled file."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("label")
        parser.add_argument("--data", type=Path, required=True, help="a .csv or .parquet file")

    def handle(self, *args: Any, label: str, data: Path, **options: Any) -> None:
        try:
            metrics = model_version_evaluate(label=label, data_path=data)
        except ModelVersion.DoesNotExist:
            raise CommandError(f"No model version is labelled {label!r}.") from None
        except (ArtifactError, ValueError) as exc:  # not ready, unreadable or unusable data
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(metrics, indent=2, sort_keys=True))
