"""The risk manager's dashboard, read from snapshots only (never the decision records).

Each panel is a plot (server-side SVG) with its numbers as a table and a CSV download.
The period's distributions are the snapshots' shares weighted by their decisions; the PSI
per field is recomputed from them against the version's baseline.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import orjson
from django.db.models import Max, TextField
from django.db.models.functions import Cast

from credit_ml.monitoring import NO_DATA, ModelBaseline, psi
from credit_ml.monitoring_charts import bar_chart_svg, line_chart_svg
from monitoring.models import ALL_CLIENTS, MonitoringSnapshot
from monitoring.services import psi_bands
from registry.models import ModelVersion

#: Days shown when no period is asked for (ending at the latest snapshot).
DEFAULT_DAYS = 90
#: Over this many days, the plots over time show weeks (Monday's date) instead of days.
WEEKLY_FROM = 120


@dataclass(frozen=True)
class Panel:
    key: str
    title: str
    svg: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]


@dataclass(frozen=True)
class Dashboard:
    model_label: str
    client: str
    start: date | None
    end: date | None
    snapshots: int
    decisions: int
    panels: list[Panel] = field(default_factory=list)

    def panel(self, key: str) -> Panel | None:
        return next((p for p in self.panels if p.key == key), None)


_FIELDS = ("day", "decisions", "approved", "series_text")
#: Digits kept of each share and rate in a snapshot's series.
DIGITS = 6


def _shares(bins: list[dict[str, Any]] | None) -> list[float]:
    return [round(float(item["period"]), DIGITS) for item in bins or []]


def dashboard_series(report: dict[str, Any]) -> dict[str, Any]:
    """What the dashboard aggregates of one snapshot's report (``MonitoringReport.to_dict``):
    the score's and each field's period shares, rule hit rates, calibration sums by grade,
    vintage curves and disparate-impact ratios by group."""
    stability = report["stability"]
    performance = report["performance"]
    return {
        "score": _shares(stability["score"]["bins"]),
        "fields": {name: _shares(item["bins"]) for name, item in stability["fields"].items()},
        "rules": {
            code: round(float(item["rate"]), DIGITS)
            for code, item in report["decision_mix"]["rule_hit_rates"].items()
        },
        "calibration": [
            [row["grade"], row["n"], row["defaults"], row["mean_pd"]]
            for row in performance["calibration_by_grade"]
        ],
        "vintages": performance["vintages"],
        "fairness": [
            [name, row["group"], row["count"], row["approval_rate"], row["disparate_impact"]]
            for name, rows in report["fairness"].items()
            for row in rows
        ],
    }


def dashboard_labels() -> tuple[list[str], list[str]]:
    """The model labels and client names that have snapshots (for the page's choices)."""
    snapshots = MonitoringSnapshot.objects.order_by()  # no ordering columns in DISTINCT
    labels = snapshots.values_list("model_label", flat=True).distinct()
    clients = snapshots.values_list("client_name", flat=True).distinct()
    return sorted(labels), sorted(clients)


def monitoring_dashboard(
    *, model_label: str, client: str = ALL_CLIENTS, start: date | None, end: date | None
) -> Dashboard:
    series = MonitoringSnapshot.objects.filter(model_label=model_label, client_name=client)
    if end is None:
        end = series.aggregate(last=Max("day"))["last"]
    if end is None:
        return Dashboard(model_label, client, start, end, 0, 0)
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    # The series as JSON text, parsed with orjson: months of snapshots parse several times
    # faster than through the JSONField's json.loads.
    rows = [
        (day, decisions, approved, orjson.loads(text))
        for day, decisions, approved, text in series.filter(day__gte=start, day__lte=end)
        .order_by("day")
        .annotate(series_text=Cast("series", output_field=TextField()))
        .values_list(*_FIELDS)
    ]
    if not rows:
        return Dashboard(model_label, client, start, end, 0, 0)
    stored = (
        ModelVersion.objects.filter(label=model_label).values_list("baseline", flat=True).first()
    )
    baseline = ModelBaseline.from_dict(stored) if stored else None
    over_time = rows if len(rows) <= WEEKLY_FROM else _weekly(rows)
    panels = [
        _approval_panel(over_time),
        _rules_panel(over_time),
        *_stability_panels(rows, baseline),
        _calibration_panel(rows),
        _vintage_panel(rows),
        _fairness_panel(over_time),
    ]
    return Dashboard(model_label, client, start, end, len(rows), sum(r[1] for r in rows), panels)


def _weekly(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Daily rows summed per week: decisions and approvals added, rule hit rates and
    disparate-impact ratios averaged weighted by decisions (by group size for the ratios)."""
    weeks: dict[date, list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows:
        weeks[row[0] - timedelta(days=row[0].weekday())].append(row)
    out = []
    for monday, days in sorted(weeks.items()):
        decisions = sum(r[1] for r in days)
        rules: dict[str, float] = defaultdict(float)
        for r in days:
            for code, rate in r[3].get("rules", {}).items():
                rules[code] += rate * r[1] / decisions if decisions else 0.0
        groups: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
        for r in days:
            for name, group, count, approval_rate, ratio in r[3].get("fairness", []):
                total = groups[(name, group)]
                total[0] += count
                total[1] += approval_rate * count
                total[2] += (ratio or 0.0) * count
                total[3] += count if ratio is not None else 0
        fairness = [
            [name, group, int(t[0]), t[1] / t[0] if t[0] else None, t[2] / t[3] if t[3] else None]
            for (name, group), t in sorted(groups.items())
        ]
        series = {"rules": dict(rules), "fairness": fairness}
        out.append((monday, decisions, sum(r[2] for r in days), series))
    return out


def _approval_panel(rows: list[tuple[Any, ...]]) -> Panel:
    days = [r[0].isoformat() for r in rows]
    rates = [r[2] / r[1] if r[1] else None for r in rows]
    return Panel(
        "approval",
        "Approval rate by day",
        line_chart_svg("Approval rate by day", days, {"approval rate": rates}),
        ("day", "decisions", "approved", "approval rate"),
        [(d, r[1], r[2], rate) for d, r, rate in zip(days, rows, rates, strict=True)],
    )


def _rules_panel(rows: list[tuple[Any, ...]]) -> Panel:
    days = [r[0].isoformat() for r in rows]
    codes = sorted({code for r in rows for code in r[3].get("rules", {})})
    series = {code: [r[3].get("rules", {}).get(code, 0.0) for r in rows] for code in codes}
    table = [(d, code, series[code][i]) for i, d in enumerate(days) for code in codes]
    return Panel(
        "rules",
        "Rule hit rates by day",
        line_chart_svg("Rule hit rates by day", days, series),
        ("day", "rule", "hit rate"),
        table,
    )


def _weighted_shares(items: Iterable[tuple[list[float] | None, int]]) -> list[float] | None:
    """The shares of several snapshots, weighted by their decisions (None without any)."""
    pairs = [(shares, n) for shares, n in items if n and shares]
    if not pairs:
        return None
    length = len(pairs[-1][0])
    kept = [(shares, n) for shares, n in pairs if len(shares) == length]  # same bins only
    matrix = np.array([shares for shares, _ in kept], dtype=np.float64)
    weights = np.array([n for _, n in kept], dtype=np.float64)
    return (weights @ matrix / weights.sum()).tolist()  # type: ignore[no-any-return]


def _stability_panels(rows: list[tuple[Any, ...]], baseline: ModelBaseline | None) -> list[Panel]:
    if baseline is None:
        return []
    score = _weighted_shares((r[3].get("score"), r[1]) for r in rows)
    labels = list(baseline.score.labels)
    score_panel = Panel(
        "score",
        "Score distribution: baseline and period",
        bar_chart_svg(
            "Score distribution: baseline and period",
            labels,
            {"baseline": list(baseline.score.shares), "period": score or [None] * len(labels)},
            percent=True,
        ),
        ("bin", "baseline share", "period share"),
        [
            (label, base, score[i] if score else NO_DATA)
            for i, (label, base) in enumerate(zip(labels, baseline.score.shares, strict=True))
        ],
    )
    bands = psi_bands()
    values: dict[str, float | None] = {}
    for name, bins in baseline.fields.items():
        shares = _weighted_shares((r[3].get("fields", {}).get(name), r[1]) for r in rows)
        values[name] = psi(bins.shares, shares) if shares and any(shares[:-1]) else None
    psi_panel = Panel(
        "psi",
        "PSI per field (period against baseline)",
        bar_chart_svg(
            "PSI per field (period against baseline)",
            list(values),
            {"PSI": list(values.values())},
            lines=[(bands.watch, "watch"), (bands.act, "act")],
        ),
        ("field", "PSI", "band"),
        [
            (name, NO_DATA if v is None else v, NO_DATA if v is None else bands.band(v))
            for name, v in values.items()
        ],
    )
    return [score_panel, psi_panel]


def _calibration_panel(rows: list[tuple[Any, ...]]) -> Panel:
    totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for r in rows:
        for grade, n, defaults, mean_pd in r[3].get("calibration", []):
            total = totals[grade]
            total[0] += n
            total[1] += defaults
            total[2] += mean_pd * n
    grades = sorted(totals)
    predicted = [totals[g][2] / totals[g][0] for g in grades]
    observed = [totals[g][1] / totals[g][0] for g in grades]
    return Panel(
        "calibration",
        "Calibration by grade (matured loans)",
        bar_chart_svg(
            "Calibration by grade (matured loans)",
            grades,
            {"mean predicted PD": predicted, "observed default rate": observed},
            percent=True,
        ),
        ("grade", "loans", "defaults", "mean predicted PD", "observed default rate"),
        [
            (g, int(totals[g][0]), int(totals[g][1]), p, o)
            for g, p, o in zip(grades, predicted, observed, strict=True)
        ],
    )


def _vintage_panel(rows: list[tuple[Any, ...]]) -> Panel:
    curves: dict[str, list[float]] = {}
    for r in rows:
        curves.update(r[3].get("vintages", {}))
    length = max((len(c) for c in curves.values()), default=0)
    mobs = [str(m) for m in range(1, length + 1)]
    return Panel(
        "vintages",
        "Vintage curves: cumulative default rate by months on book",
        line_chart_svg(
            "Vintage curves: cumulative default rate by months on book",
            mobs,
            {k: list(v) for k, v in sorted(curves.items())},
        ),
        ("application month", "months on book", "cumulative default rate"),
        [(k, i + 1, v) for k, c in sorted(curves.items()) for i, v in enumerate(c)],
    )


def _fairness_panel(rows: list[tuple[Any, ...]]) -> Panel:
    days = [r[0].isoformat() for r in rows]
    series: dict[str, list[float | None]] = defaultdict(lambda: [None] * len(rows))
    table = []
    for i, r in enumerate(rows):
        for name, group, count, approval_rate, ratio in r[3].get("fairness", []):
            series[f"{name}={group}"][i] = ratio
            table.append((days[i], name, group, count, approval_rate, ratio))
    return Panel(
        "fairness",
        "Disparate-impact ratio by group (flagged under 0.8)",
        line_chart_svg("Disparate-impact ratio by group (flagged under 0.8)", days, dict(series)),
        ("day", "field", "group", "decisions", "approval rate", "disparate impact"),
        table,
    )
