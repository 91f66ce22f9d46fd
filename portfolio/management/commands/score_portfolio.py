"""Score a portfolio file (or folder of Parquet parts) into Parquet, in this process.

Creates a ``PortfolioRun`` and executes it at once, as a worker would
(``portfolio.services.portfolio_run_execute``); exits 1 when the run does not succeed.
"""

from __future__ import annotations

from argparse import ArgumentParser
from datetime import date
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from portfolio.services import (
    PortfolioRefused,
    PortfolioRequest,
    portfolio_run_create,
    portfolio_run_execute,
)


class Command(BaseCommand):
    help = "Score every row of a CSV/Parquet portfolio into a Parquet output; print the counts."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--data", type=Path, required=True, help="a file or a folder of parts")
        parser.add_argument("--out", type=Path, required=True, help="the Parquet output (new)")
        parser.add_argument("--model", help="a model version's label (default: the champion)")
        parser.add_argument("--rule-set", dest="rule_set", help="a rule set's name or version")
        parser.add_argument("--as-of", dest="as_of", type=_date, help="YYYY-MM-DD (default: today)")
        parser.add_argument("--user", help="the username to record as who started it")

    def handle(self, *args: Any, **options: Any) -> None:
        request = PortfolioRequest(
            data_path=options["data"].resolve(),
            out_path=options["out"].resolve(),
            model_label=options["model"],
            rule_set=options["rule_set"],
            as_of=options["as_of"],
        )
        try:
            run = portfolio_run_create(request=request, requested_by=_user(options["user"]))
        except PortfolioRefused as exc:
            raise CommandError(f"{exc.field}: {exc.message}") from exc
        run = portfolio_run_execute(run_id=run.pk)
        self.stdout.write(
            f"run {run.pk} {run.status}: {run.rows_done} rows, {run.rows_scored} scored, "
            f"{run.rows_invalid} invalid; model {run.model_version.label}, "
            f"rule set {run.rule_set.version}, as of {run.as_of.isoformat()}"
        )
        if run.status != run.Status.SUCCEEDED:
            raise CommandError(run.error or f"Portfolio run {run.pk} is {run.status}.")
        if run.invalid_rows:
            shown = ", ".join(map(str, run.invalid_rows[:20]))
            more = " …" if run.rows_invalid > 20 else ""
            self.stdout.write(f"invalid rows (0-based; errors in the output): {shown}{more}")
        self.stdout.write(f"input SHA-256 {run.input_sha256}")
        self.stdout.write(f"output {run.out_path} SHA-256 {run.output_sha256}")


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"not a date (YYYY-MM-DD): {value!r}") from exc


def _user(username: str | None) -> Any:
    if username is None:
        return None
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"--user: no user named {username!r}.")
    return user
