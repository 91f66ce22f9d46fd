"""Point the champion alias at a READY model version (if it is at least as good)."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from registry.errors import PromotionRefused
from registry.services import COMPARISON_RULE, Promotion, model_version_promote
from training.services import command_operator


class Command(BaseCommand):
    help = (
        "Promote a READY model version to champion if it accepts the champion's applications "
        "and its AUC is at least the champion's on rows neither was trained on; who, when, "
        "from, to and why are recorded. " + COMPARISON_RULE
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("label")
        parser.add_argument("--reason", default="", help="why (kept in the alias history)")
        parser.add_argument(
            "--user",
            default=None,
            help="the username to record (must exist); default: the operating-system user",
        )
        parser.add_argument(
            "--override-reason",
            default="",
            help="promote without the AUC comparison; recorded as 'override: <reason>'",
        )
        parser.add_argument(
            "--schema-change-reason",
            default="",
            help="promote although the version refuses applications the champion accepts "
            "(the loan systems changed their payloads); recorded as 'schema change: <reason>'",
        )
        parser.add_argument(
            "--data",
            type=Path,
            default=None,
            help="a labelled file to compare on instead of the candidate's own holdout",
        )

    def handle(self, *args: Any, label: str, **options: Any) -> None:
        try:
            operator = command_operator(username=options["user"])
            promotion = model_version_promote(
                label=label,
                promoted_by=operator.user,
                by_name=operator.name,
                reason=options["reason"],
                override_reason=options["override_reason"],
                schema_change_reason=options["schema_change_reason"],
                data_path=options["data"],
            )
        except (PromotionRefused, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(_report(promotion))


def _report(promotion: Promotion) -> str:
    """The comparison (rows, both AUCs, warnings) if one was made, then the outcome."""
    lines = []
    comparison = promotion.comparison
    if comparison is not None:
        lines += [
            f"compared on {comparison.n} rows: {comparison.source}",
            f"  candidate AUC {comparison.candidate_auc:.4f}, "
            f"champion AUC {comparison.champion_auc:.4f}",
            *(f"warning: {warning}" for warning in comparison.warnings),
        ]
    label = promotion.version.label
    lines.append(
        f"{label} is the champion." if promotion.changed else f"{label} is the champion already."
    )
    return "\n".join(lines)
