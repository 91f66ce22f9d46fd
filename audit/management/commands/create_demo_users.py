"""Create one demo user per role (for ``make demo``); prints who can sign in, and where to."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from audit.users import demo_users_ensure


class Command(BaseCommand):
    help = "Create or update one staff user per role group, all with the given password."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", required=True)
        parser.add_argument(
            "--base-url", default="", help="Prefix of the start pages, e.g. http://127.0.0.1:8000"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        login, base = options["password"], options["base_url"].rstrip("/")
        for demo in demo_users_ensure(password=login):
            self.stdout.write(
                f"   {demo.username:<10} / {login}   {demo.role}: {demo.work}\n"
                f"   {'':<10}   start at {base}{demo.start}"
            )
