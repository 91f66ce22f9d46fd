"""Write a synthetic Indonesian credit-application dataset (CSV or Parquet by extension)."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from credit_ml.datasets import DatasetError, write_dataset
from credit_ml.synthetic import generate_applications


class Command(BaseCommand):
    help = "Generate synthetic credit applications with a known default probability."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--rows", type=int, default=50_000, help="applications to write")
        parser.add_argument("--seed", type=int, default=42, help="random seed")
        parser.add_argument("--out", type=Path, required=True, help="a .csv or .parquet path")

    def handle(self, *args: Any, rows: int, seed: int, out: Path, **options: Any) -> None:
        if rows < 1:
            raise CommandError("--rows must be at least 1.")
        out.parent.mkdir(parents=True, exist_ok=True)
        try:
            write_dataset(generate_applications(rows=rows, seed=seed), out)
        except (DatasetError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Wrote {rows} rows to {out}")
