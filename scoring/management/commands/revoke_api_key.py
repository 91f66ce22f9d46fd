"""Revoke a loan system's API key by its prefix (the part before the dot)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from registry.models import ApiClient
from registry.services import api_client_revoke


class Command(BaseCommand):
    help = "Revoke an API key: requests with it get 401 (within the key refresh time)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("prefix", help="The key's prefix: the 8 characters before the dot.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            client = api_client_revoke(prefix=options["prefix"])
        except ApiClient.DoesNotExist:
            raise CommandError(f"No API key with prefix {options['prefix']!r}.") from None
        seconds = settings.KREDITAX_API_KEY_REFRESH_SECONDS
        self.stdout.write(
            f"Revoked the API key {client.prefix} of {client.name!r}; every web worker refuses "
            f"it within {seconds:g} s."
        )
