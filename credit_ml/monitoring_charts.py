"""Monitoring plots as plain SVG, rendered on the server (no plotting library per request).

Two shapes cover the dashboard: grouped bars (score distribution baseline against period,
PSI per field with the bands as lines, calibration by grade with the interval as whiskers)
and lines over time (approval rate, rule hit rates, vintage curves, fairness). Every text is
escaped; a missing value (None) leaves a gap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 60, 150, 30, 60
COLOURS = ("#2c3e50", "#e67e22", "#27ae60", "#8e44ad", "#c0392b", "#16a085", "#7f8c8d")


def _open(title: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="11" role="img">',
        f"<title>{escape(title)}</title>",
        f'<text x="{LEFT}" y="18" font-size="13">{escape(title)}</text>',
    ]


def _scale(top: float) -> float:
    return top if top > 0 else 1.0


def _y(value: float, top: float) -> float:
    return TOP + (1 - value / top) * (HEIGHT - TOP - BOTTOM)


def _axis(top: float, percent: bool) -> list[str]:
    parts = []
    for step in range(5):
        value = top * step / 4
        label = f"{value:.0%}" if percent else f"{value:.2g}"
        y = _y(value, top)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{label}</text>'
        )
    return parts


def _legend(names: Sequence[str]) -> list[str]:
    return [
        f'<rect x="{WIDTH - RIGHT + 10}" y="{TOP + 16 * i}" width="10" height="10" '
        f'fill="{COLOURS[i % len(COLOURS)]}"/>'
        f'<text x="{WIDTH - RIGHT + 24}" y="{TOP + 16 * i + 9}">{escape(name)}</text>'
        for i, name in enumerate(names)
    ]


def bar_chart_svg(
    title: str,
    categories: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    *,
    percent: bool = False,
    lines: Sequence[tuple[float, str]] = (),
    whiskers: Mapping[str, Sequence[tuple[float, float] | None]] | None = None,
) -> str:
    """Grouped bars, one group per category and one bar per series; ``lines`` are
    horizontal reference lines (value, label); ``whiskers`` intervals per series."""
    values = [v for vs in series.values() for v in vs if v is not None]
    values += [hi for ws in (whiskers or {}).values() for w in ws if w is not None for hi in w]
    top = _scale(max([*values, *[v for v, _ in lines]], default=0.0) * 1.1)
    parts = _open(title) + _axis(top, percent)
    slot = (WIDTH - LEFT - RIGHT) / max(len(categories), 1)
    width = slot * 0.8 / max(len(series), 1)
    for s, (name, bars) in enumerate(series.items()):
        colour = COLOURS[s % len(COLOURS)]
        for c, value in enumerate(bars):
            if value is None:
                continue
            x = LEFT + c * slot + slot * 0.1 + s * width
            y = _y(value, top)
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" '
                f'height="{_y(0, top) - y:.1f}" fill="{colour}"><title>{escape(name)} '
                f"{escape(categories[c])}: {value:.4g}</title></rect>"
            )
            interval = (whiskers or {}).get(name, [None] * len(bars))[c]
            if interval is not None:
                mid = x + width / 2
                parts.append(
                    f'<line x1="{mid:.1f}" x2="{mid:.1f}" y1="{_y(interval[0], top):.1f}" '
                    f'y2="{_y(interval[1], top):.1f}" stroke="#000"/>'
                )
    for c, category in enumerate(categories):
        x = LEFT + c * slot + slot / 2
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 14}" text-anchor="end" '
            f'transform="rotate(-35 {x:.1f} {HEIGHT - BOTTOM + 14})">{escape(category)}</text>'
        )
    for value, label in lines:
        y = _y(value, top)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#c0392b" stroke-dasharray="4 3"/>'
            f'<text x="{WIDTH - RIGHT - 4}" y="{y - 3:.1f}" text-anchor="end" '
            f'fill="#c0392b">{escape(label)}</text>'
        )
    parts += _legend(list(series))
    parts.append("</svg>")
    return "".join(parts)


def line_chart_svg(
    title: str,
    x_labels: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    *,
    percent: bool = True,
) -> str:
    """One line per series over ``x_labels`` (dates, months on book); None breaks a line."""
    values = [v for vs in series.values() for v in vs if v is not None]
    top = _scale(max(values, default=0.0) * 1.1)
    parts = _open(title) + _axis(top, percent)
    n = max(len(x_labels), 1)
    step = (WIDTH - LEFT - RIGHT) / max(n - 1, 1)
    for s, (name, points) in enumerate(series.items()):
        colour = COLOURS[s % len(COLOURS)]
        runs: list[list[str]] = [[]]
        for i, value in enumerate(points):
            if value is None:
                runs.append([])
                continue
            runs[-1].append(f"{LEFT + i * step:.1f},{_y(value, top):.1f}")
        for run in runs:
            if len(run) == 1:
                cx, cy = run[0].split(",")
                parts.append(f'<circle cx="{cx}" cy="{cy}" r="2.5" fill="{colour}"/>')
            elif run:
                parts.append(
                    f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" '
                    f'stroke-width="1.5"><title>{escape(name)}</title></polyline>'
                )
    every = max(1, n // 8)
    for i in range(0, len(x_labels), every):
        x = LEFT + i * step
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 14}" text-anchor="end" '
            f'transform="rotate(-35 {x:.1f} {HEIGHT - BOTTOM + 14})">{escape(x_labels[i])}</text>'
        )
    parts += _legend(list(series))
    parts.append("</svg>")
    return "".join(parts)
