"""Score a recorded decision again; exit 0 only when it comes out identical."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.crypto import AuditKeyError
from audit.models import DecisionRecord
from audit.replay import decision_replay
from registry.models import RuleSet


class Command(BaseCommand):
    help = "Replay one decision with its recorded inputs, model version, rule set and date."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("request_id")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            replay = decision_replay(request_id=options["request_id"])
        except (DecisionRecord.DoesNotExist, ValidationError):
            raise CommandError(f"No decision with request id {options['request_id']}.") from None
        except RuleSet.DoesNotExist:
            raise CommandError("The recorded rule set version is not stored.") from None
        except AuditKeyError as exc:
            raise CommandError(str(exc)) from None
        where = f"{replay.request_id} ({replay.model_label}, {replay.rule_set_version})"
        if replay.identical:
            self.stdout.write(f"Identical: {where}.")
            return
        lines = [
            f"  {d.field}: recorded {d.recorded!r}, replayed {d.replayed!r}"
            for d in replay.differences
        ]
        raise CommandError("\n".join([f"Replay differs: {where}", *lines]))
