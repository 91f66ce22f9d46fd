"""List the registered model versions, newest first."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from registry.models import ModelVersion
from registry.selectors import metrics_summary, model_version_list

COLUMNS = ("LABEL", "ALGORITHM", "STATUS", "CHAMPION", "TEST AUC", "CV AUC", "CREATED")


class Command(BaseCommand):
    help = "List model versions with their status, champion flag and AUC."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--json", action="store_true", help="a JSON array instead of a table")

    def handle(self, *args: Any, **options: Any) -> None:
        versions = list(model_version_list())
        if options["json"]:
            self.stdout.write(json.dumps([_as_json(v) for v in versions], indent=2))
        else:
            self.stdout.write(_table([_as_row(v) for v in versions]))


def _as_json(version: ModelVersion) -> dict[str, Any]:
    return {
        "label": version.label,
        "algorithm": version.algorithm,
        "status": version.status,
        "is_champion": version.is_champion,
        "created_at": version.created_at.isoformat(),
        "metrics": metrics_summary(metrics=version.metrics),
        "data_fingerprint": version.data_fingerprint,
    }


def _as_row(version: ModelVersion) -> tuple[str, ...]:
    metrics = metrics_summary(metrics=version.metrics)
    return (
        version.label,
        version.algorithm,
        version.status,
        "*" if version.is_champion else "",
        _fmt(metrics["test_auc"]),
        _fmt(metrics["cv_auc_mean"]),
        f"{timezone.localtime(version.created_at):%Y-%m-%d %H:%M}",
    )


def _table(rows: list[tuple[str, ...]]) -> str:
    if not rows:
        return "No model versions yet: run `manage.py train_model --data PATH`."
    widths = [max(len(row[i]) for row in [COLUMNS, *rows]) for i in range(len(COLUMNS))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in [COLUMNS, *rows]
    ]
    return "\n".join(line.rstrip() for line in lines)


def _fmt(value: object) -> str:
    return f"{value:.4f}" if isinstance(value, int | float) else "-"
