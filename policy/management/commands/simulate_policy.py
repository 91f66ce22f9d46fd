"""Re-decide the recorded decisions of a period under a candidate policy; print the report."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from policy.models import SimulationRun
from policy.services import (
    SimulationRefused,
    simulation_candidate,
    simulation_run_create,
    simulation_run_execute,
)
from policy.simulation import SimulationRequest
from registry.models import RuleSet
from registry.selectors import rule_set_by_version


def _day(value: str) -> date:
    return date.fromisoformat(value)


class Command(BaseCommand):
    help = (
        "Simulate a candidate rule-set version and/or model version on the decisions recorded "
        "from --from to --to (a run is recorded; the audit trail is only read)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        # The issue's ``--version N`` names the rule-set version: it replaces Django's own
        # ``--version`` (which prints Django's version) for this command.
        parser.conflict_handler = parser._optionals.conflict_handler = "resolve"
        parser.add_argument("--from", dest="date_from", type=_day, required=True)
        parser.add_argument("--to", dest="date_to", type=_day, required=True)
        parser.add_argument("--rule-set", default="", help="Candidate rule set's name.")
        parser.add_argument("--version", default="", help="Its version (with --rule-set).")
        parser.add_argument("--model", default="", help="Candidate READY model version label.")
        parser.add_argument("--as-of", type=_day, default=None, help="Apply it as of this date.")
        parser.add_argument("--client", default="")
        parser.add_argument("--purpose", default="")
        parser.add_argument("--province", default="")
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        run = simulation_run_create(request=self._request(options), user=None)
        run = simulation_run_execute(run_id=run.pk)
        if run.status != SimulationRun.Status.SUCCEEDED:
            raise CommandError(f"Simulation {run.pk} {run.status.lower()}: {run.error}")
        if options["json"]:
            self.stdout.write(json.dumps(run.report, indent=2, sort_keys=True))
            return
        report = run.report
        self.stdout.write(
            f"Simulation {run.pk}: {report['records']} records, fidelity "
            f"{report['fidelity']['reproduced']} reproduced / "
            f"{report['fidelity']['mismatched']} mismatched; before {report['before']}, "
            f"after {report['after']}."
        )

    def _request(self, options: dict[str, Any]) -> SimulationRequest:
        rule_set_id = None
        if bool(options["rule_set"]) != bool(options["version"]):
            raise CommandError("Give --rule-set and --version together, or neither.")
        if options["rule_set"]:
            try:
                found = rule_set_by_version(name=options["rule_set"], version=options["version"])
            except RuleSet.DoesNotExist as exc:
                raise CommandError(str(exc)) from None
            rule_set_id = found.pk
        request = SimulationRequest(
            date_from=options["date_from"],
            date_to=options["date_to"],
            client=options["client"] or None,
            purpose=options["purpose"] or None,
            province=options["province"] or None,
            rule_set_id=rule_set_id,
            model_label=options["model"] or None,
            as_of=options["as_of"],
        )
        try:
            simulation_candidate(request=request)
        except SimulationRefused as exc:
            raise CommandError(f"Refused: {exc}") from None
        return request
