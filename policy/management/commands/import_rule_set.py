"""Read a rule-set version from YAML (export_rule_set's format) as a new DRAFT."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from registry.errors import RuleSetRefused
from registry.rule_sets import rule_set_from_yaml


class Command(BaseCommand):
    help = "Import a rule-set version from YAML as a draft (checked as any draft is)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--user", default="", help="The drafter's username (the maker).")

    def handle(self, *args: Any, **options: Any) -> None:
        user = None
        if options["user"]:
            user = User.objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user {options['user']!r}.")
        try:
            text = options["file"].read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {options['file']}: {exc}") from None
        try:
            rule_set = rule_set_from_yaml(text=text, user=user)
        except RuleSetRefused as exc:
            raise CommandError(f"Refused, nothing imported: {exc}") from None
        self.stdout.write(
            f"Draft {rule_set.version} imported (effective {rule_set.effective_from})."
        )
