"""Create one demo user per role (for ``make demo``); prints who can sign in."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from audit.users import demo_users_ensure


class Command(BaseCommand):
    help = "Create or update one staff user per role group, all with the given password."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        for username, group in demo_users_ensure(password=options["password"]):
            self.stdout.write(f"   {username:<12} / {options['password']}   ({group})")
