"""Print the monitoring report of a model version over a period."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from monitoring.selectors import MonitoringError, Period
from monitoring.services import MonitoringReport, monitoring_report


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD).") from None


class Command(BaseCommand):
    help = (
        "The monitoring report (stability, decision mix, performance on matured cohorts, "
        "fairness) of the champion or --model LABEL over decision dates --from to --to."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--from", dest="start", required=True, help="YYYY-MM-DD")
        parser.add_argument("--to", dest="end", required=True, help="YYYY-MM-DD, included")
        parser.add_argument("--client", help="one API client's decisions (its name)")
        parser.add_argument("--model", help="a model version's label (default: the champion)")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            period = Period(_date(options["start"]), _date(options["end"]))
            report = monitoring_report(
                period=period, client=options["client"], model_label=options["model"]
            )
        except MonitoringError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps(report.to_dict(), indent=2, allow_nan=False))
            return
        self.stdout.write("\n".join(_summary(report)))


def _summary(report: MonitoringReport) -> list[str]:
    mix = report.decision_mix
    lines = [
        f"{report.model_version} from {report.period.start} to {report.period.end}"
        f"{f' for {report.client}' if report.client else ''}: {report.decisions} decision(s)",
        f"approval rate: {_number(mix['approval_rate'])}",
        f"score PSI: {_psi(report.stability.score.psi, report.stability.score.band)}",
    ]
    lines += [
        f"  {name}: {_psi(item.psi, item.band)}" for name, item in report.stability.fields.items()
    ]
    lines.append(f"matured loans: {report.performance.matured}")
    return lines


def _psi(value: float | None, band: str | None) -> str:
    return "no data" if value is None else f"{value:.4f} ({band})"


def _number(value: float | None) -> str:
    return "no data" if value is None else f"{value:.4f}"
