"""Create a loan system's API key and print it once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from registry.models import RuleSet
from registry.services import api_client_create


class Command(BaseCommand):
    help = "Create an API key for a loan system; the key is printed once and stored hashed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="The loan system's name, recorded with each decision.")
        parser.add_argument("--rule-set", default="fintech", help="fintech (default) or bank")
        parser.add_argument("--expires-in-days", type=int, default=None)
        parser.add_argument("--quiet", action="store_true", help="Print only the key.")

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["expires_in_days"]
        if days is not None and days < 1:
            raise CommandError("--expires-in-days must be at least 1 (omit it for no expiry).")
        expires = timezone.now() + timedelta(days=days) if days is not None else None
        try:
            client, key = api_client_create(
                name=options["name"], rule_set_name=options["rule_set"], expires_at=expires
            )
        except (RuleSet.DoesNotExist, ValueError) as exc:
            raise CommandError(str(exc)) from None
        if options["quiet"]:
            self.stdout.write(key)
            return
        self.stdout.write(
            f"API client {client.name!r} ({client.prefix}), rule set {client.rule_set}."
        )
        self.stdout.write("The key is shown once; store it in the loan system's secret store:")
        self.stdout.write(key)
