"""A simulation report for people: the flip matrix, bars of decision rates (SVG drawn on the
server, no script), rule hit rates, the segment tables, and the same figures as CSV."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from django.utils.html import escape

from policy.simulation import DECISIONS, SEGMENTS

BAR_WIDTH = 360
COLOURS = {"APPROVE": "#2e7d32", "REVIEW": "#f9a825", "REJECT": "#c62828"}


@dataclass(frozen=True)
class ReportPage:
    """What the admin's report page shows, worked out from a report dict."""

    records: int
    matrix: list[list[Any]]  # header row, then one row per before decision
    bars_svg: str
    rule_hits: list[tuple[str, int, int, str, str]]  # rule, before, after, rates
    segments: dict[str, list[list[Any]]]


def report_page(report: dict[str, Any]) -> ReportPage:
    decided = sum(report["before"].values())
    return ReportPage(
        records=report["records"],
        matrix=_matrix(report),
        bars_svg=decision_bars_svg(report["before"], report["after"]),
        rule_hits=[
            (rule, before, after, _rate(before, decided), _rate(after, decided))
            for rule, before, after in _hit_rows(report)
        ],
        segments={name: _segment_rows(report["segments"][name]) for name in SEGMENTS},
    )


def _rate(count: int, total: int) -> str:
    return f"{100 * count / total:.1f} %" if total else "-"


def _matrix(report: dict[str, Any]) -> list[list[Any]]:
    """Before (rows) by after (columns); the diagonal is what did not change."""
    flips = report["flips"]
    rows: list[list[Any]] = [["before \\ after", *DECISIONS]]
    for before in DECISIONS:
        flipped = sum(flips[f"{before}->{after}"] for after in DECISIONS if after != before)
        stayed = report["before"][before] - flipped
        rows.append(
            [
                before,
                *(stayed if a == before else flips[f"{before}->{a}"] for a in DECISIONS),
            ]
        )
    return rows


def _hit_rows(report: dict[str, Any]) -> list[tuple[str, int, int]]:
    hits = report["rule_hits"]
    rules = sorted(set(hits["before"]) | set(hits["after"]))
    return [(rule, hits["before"].get(rule, 0), hits["after"].get(rule, 0)) for rule in rules]


def _segment_rows(segments: list[dict[str, Any]]) -> list[list[Any]]:
    return [
        [
            row["segment"],
            row["records"],
            *(row["before"][d] for d in DECISIONS),
            *(row["after"][d] for d in DECISIONS),
        ]
        for row in segments
    ]


def decision_bars_svg(before: dict[str, int], after: dict[str, int]) -> str:
    """Two stacked bars (before, after) of the APPROVE/REVIEW/REJECT shares, as SVG text."""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{BAR_WIDTH + 80}" height="70" '
        'role="img" aria-label="Decision rates before and after">'
    ]
    for row, (label, counts) in enumerate((("before", before), ("after", after))):
        total = sum(counts.values()) or 1
        y, x = 10 + 30 * row, 60.0
        parts.append(f'<text x="0" y="{y + 15}" font-size="12">{label}</text>')
        for decision in DECISIONS:
            width = BAR_WIDTH * counts.get(decision, 0) / total
            share = 100 * counts.get(decision, 0) / total
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{width:.1f}" height="20" '
                f'fill="{COLOURS[decision]}"><title>{escape(decision)} {share:.1f} %</title></rect>'
            )
            x += width
    parts.append("</svg>")
    return "".join(parts)


def _cell(text: str) -> str:
    """A text cell a spreadsheet will not run as a formula (client names are free text)."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


def report_csv(report: dict[str, Any]) -> str:
    """The report's figures as CSV: one ``section,key,before,after`` line per figure."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "key", "before", "after"])
    writer.writerow(["records", "records", report["records"], report["records"]])
    fidelity = report["fidelity"]
    writer.writerow(
        ["fidelity", "reproduced/mismatched", fidelity["reproduced"], fidelity["mismatched"]]
    )
    for decision in DECISIONS:
        writer.writerow(
            ["decisions", decision, report["before"][decision], report["after"][decision]]
        )
    for pair, count in report["flips"].items():
        writer.writerow(["flips", pair, "", count])
    for rule, before, after in _hit_rows(report):
        writer.writerow(["rule_hits", rule, before, after])
    for name in ("count", "mean_pd", "expected_loss"):
        approved = report["approved"]
        writer.writerow(["approved", name, approved["before"][name], approved["after"][name]])
    for name in SEGMENTS:
        for row in report["segments"][name]:
            for decision in DECISIONS:
                key = _cell(f"{row['segment']} {decision}")
                writer.writerow(
                    [f"segment:{name}", key, row["before"][decision], row["after"][decision]]
                )
    return out.getvalue()
