"""Compare a challenger's shadow results with the champion's recorded decisions."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from training.comparison import ChallengerComparison, challenger_comparison


class Command(BaseCommand):
    help = (
        "Agreement, PD differences, flips by grade and AUCs of a shadowed challenger; the "
        "challenger's model decision meets the same rules as the champion's, and rule "
        "rejections are counted apart."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("label", help="the challenger's model label")
        parser.add_argument("--json", action="store_true", dest="as_json", help="print JSON")

    def handle(self, *args: Any, label: str, as_json: bool, **options: Any) -> None:
        comparison = challenger_comparison(label=label)
        self.stdout.write(_as_json(comparison) if as_json else _as_text(comparison))


def _as_json(comparison: ChallengerComparison) -> str:
    return json.dumps(comparison.to_dict(), indent=2, sort_keys=True)


def _number(value: float | None, digits: int = 4) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _as_text(comparison: ChallengerComparison) -> str:
    flips = ", ".join(f"{grade}: {n}" for grade, n in comparison.flips_by_grade.items()) or "-"
    rules = ", ".join(f"{rule}: {n}" for rule, n in comparison.rule_rejections_by_rule.items())
    lines = [
        f"challenger {comparison.label}: {comparison.count} shadowed decision(s)",
        f"agreement rate (both under the same rules): {_number(comparison.agreement_rate)}",
        f"mean |PD difference|: {_number(comparison.mean_abs_pd_difference)}",
        f"max |PD difference|: {_number(comparison.max_abs_pd_difference)}",
        f"decision flips by champion grade: {flips}",
        f"rejected by rules (both sides, not flips): {comparison.rule_rejections}"
        + (f" ({rules})" if rules else ""),
        "model agreement rate (decisions no rule rejected): "
        + _number(comparison.model_agreement_rate),
        f"with outcomes: {comparison.with_outcome}",
        f"AUC champion: {_number(comparison.champion_auc)}",
        f"AUC challenger: {_number(comparison.challenger_auc)}",
    ]
    return "\n".join(lines)
