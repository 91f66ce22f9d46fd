"""List the registered model versions, newest first (FAILED ones with --all)."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from registry.models import ModelVersion
from registry.selectors import metrics_summary, model_version_aliases, model_version_list

COLUMNS = (
    "LABEL",
    "ALGORITHM",
    "STATUS",
    "ALIASES",
    "TEST AUC",
    "CV AUC",
    "DATA",
    "ROWS",
    "SPEC",
    "CREATED",
)


class Command(BaseCommand):
    help = (
        "List model versions with their status, aliases (champion, challenger), AUC, data "
        "set (file, rows) and dataset spec; FAILED versions only with --all."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--json", action="store_true", help="a JSON array instead of a table")
        parser.add_argument(
            "--all", action="store_true", dest="show_all", help="include FAILED versions"
        )

    def handle(self, *args: Any, show_all: bool, **options: Any) -> None:
        versions = list(model_version_list(include_failed=show_all))
        if options["json"]:
            self.stdout.write(json.dumps([_as_json(v) for v in versions], indent=2))
        else:
            self.stdout.write(_table([_as_row(v) for v in versions], show_all=show_all))


def _spec_name(version: ModelVersion) -> str | None:
    spec = version.dataset_spec or {}
    return str(spec["name"]) if spec.get("name") else None


def _file_name(version: ModelVersion) -> str | None:
    return Path(version.data_path).name if version.data_path else None


def _as_json(version: ModelVersion) -> dict[str, Any]:
    return {
        "label": version.label,
        "algorithm": version.algorithm,
        "status": version.status,
        "is_champion": version.is_champion,
        "aliases": model_version_aliases(version=version),
        "created_at": version.created_at.isoformat(),
        "metrics": metrics_summary(metrics=version.metrics),
        "data": {"file": _file_name(version), "rows": version.data_rows},
        "data_fingerprint": version.data_fingerprint,
        "spec": _spec_name(version),
    }


def _as_row(version: ModelVersion) -> tuple[str, ...]:
    metrics = metrics_summary(metrics=version.metrics)
    return (
        version.label,
        version.algorithm,
        version.status,
        ",".join(model_version_aliases(version=version)) or "-",
        _fmt(metrics["test_auc"]),
        _fmt(metrics["cv_auc_mean"]),
        _file_name(version) or "-",
        "-" if version.data_rows is None else str(version.data_rows),
        _spec_name(version) or "built-in",
        f"{timezone.localtime(version.created_at):%Y-%m-%d %H:%M}",
    )


def _table(rows: list[tuple[str, ...]], *, show_all: bool) -> str:
    if not rows:
        if show_all:
            return "No model versions yet: run `manage.py train_model --data PATH`."
        return (
            "No model versions to show: run `manage.py train_model --data PATH` "
            "(list_models --all shows FAILED ones too)."
        )
    widths = [max(len(row[i]) for row in [COLUMNS, *rows]) for i in range(len(COLUMNS))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in [COLUMNS, *rows]
    ]
    return "\n".join(line.rstrip() for line in lines)


def _fmt(value: object) -> str:
    return f"{value:.4f}" if isinstance(value, int | float) else "-"
