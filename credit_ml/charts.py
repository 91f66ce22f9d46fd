"""Waterfall charts of a decision's attribution, as plain SVG (no plotting library per request).

From the base value (the model's average log-odds) each field's contribution moves the
margin up (red: raises the risk) or down (green: lowers it) to the applicant's margin.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from html import escape
from typing import Any

from credit_ml.schema import ApplicationSchema

WIDTH, ROW, LEFT, RIGHT, TOP = 760, 26, 260, 40, 40
MAX_BARS = 12


def _label(name: str, schema: ApplicationSchema) -> str:
    for field in schema.fields:
        if field.name == name:
            return field.label_en
    for derived in schema.derived:
        if derived.name == name:
            return derived.label_en
    return name


def _steps(attributions: Mapping[str, Any]) -> list[tuple[str, float]]:
    contributions = dict(attributions.get("contributions", {}))
    ordered = sorted(contributions.items(), key=lambda item: -abs(float(item[1])))
    shown = [(name, float(value)) for name, value in ordered[:MAX_BARS]]
    rest = sum(float(value) for _, value in ordered[MAX_BARS:])
    if ordered[MAX_BARS:]:
        shown.append((f"{len(ordered) - MAX_BARS} other fields", rest))
    return shown


def waterfall_svg(attributions: Mapping[str, Any], *, schema: ApplicationSchema) -> str:
    """An SVG document; every text is escaped."""
    base = float(attributions.get("base_value", 0.0))
    steps = _steps(attributions)
    running = [base]
    for _, value in steps:
        running.append(running[-1] + value)
    low, high = min(running), max(running)
    span = (high - low) or 1.0
    plot = WIDTH - LEFT - RIGHT

    def x(value: float) -> float:
        return LEFT + (value - low) / span * plot

    height = TOP + ROW * (len(steps) + 2) + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'font-family="sans-serif" font-size="12">',
        f'<text x="{LEFT}" y="20" font-size="14">Contribution to the log-odds of default</text>',
    ]
    rows = [("Base value", base, base, "#888")]
    for (name, value), start in zip(steps, running, strict=False):
        colour = "#c0392b" if value > 0 else "#27ae60"
        label = name if name.endswith("other fields") else _label(name, schema)
        rows.append((f"{label} ({value:+.3f})", start, start + value, colour))
    final = running[-1]
    pd_value = 1.0 / (1.0 + math.exp(-final))
    rows.append((f"Applicant (PD {pd_value:.1%})", final, final, "#2c3e50"))
    for index, (text, start, end, colour) in enumerate(rows):
        y = TOP + index * ROW
        left, right = sorted((x(start), x(end)))
        parts.append(
            f'<text x="{LEFT - 8}" y="{y + 15}" text-anchor="end">{escape(text)}</text>'
            f'<rect x="{left:.1f}" y="{y + 3}" width="{max(right - left, 2):.1f}" '
            f'height="{ROW - 8}" fill="{colour}"/>'
        )
    parts.append("</svg>")
    return "".join(parts)
