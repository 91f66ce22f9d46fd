"""Print one rule-set version as YAML, to review policies in version control."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from registry.models import RuleSet
from registry.rule_sets import rule_set_to_yaml
from registry.selectors import rule_set_by_version


class Command(BaseCommand):
    help = "Print a rule-set version as YAML (import_rule_set reads it back as a draft)."

    def add_arguments(self, parser: CommandParser) -> None:
        # The issue's ``--version N`` names the rule-set version: it replaces Django's own
        # ``--version`` (which prints Django's version) for this command.
        parser.conflict_handler = parser._optionals.conflict_handler = "resolve"
        parser.add_argument("name", help="The rule set's name, e.g. fintech.")
        parser.add_argument(
            "--version", required=True, help="Its version: fintech-2026.2 or 2026.2."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            rule_set = rule_set_by_version(name=options["name"], version=options["version"])
        except RuleSet.DoesNotExist as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(rule_set_to_yaml(rule_set), ending="")
