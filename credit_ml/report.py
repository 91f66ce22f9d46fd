"""A self-contained HTML training report with PNG plots.

Plots are drawn on ``matplotlib.figure.Figure`` objects with the Agg canvas directly: no
pyplot, no global backend switch, safe inside a web or Celery process. The PNGs are
written beside ``index.html`` and also embedded in it as data URIs, so the page alone
shows everything. Every text that reaches the HTML is escaped.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from credit_ml import evaluation
from credit_ml.training import TrainingResult

PLOTS = ("roc.png", "ks.png", "calibration.png", "score_distribution.png", "importance.png")
_PNG_METADATA = {"Software": None}  # no library version in the file: stable bytes

_CSS = (
    "body{font-family:system-ui,sans-serif;margin:2rem;color:#222;max-width:60rem}"
    "table{border-collapse:collapse;margin:0 0 1.5rem}"
    "th,td{border:1px solid #ccc;padding:.25rem .6rem;text-align:right}"
    "th:first-child,td:first-child{text-align:left}"
    "img{max-width:100%;border:1px solid #eee;margin:.5rem 0}"
)


def write_report(result: TrainingResult, directory: Path, *, label: str) -> Path:
    """Write ``index.html`` and the five plots into ``directory``; return the HTML path."""
    directory.mkdir(parents=True, exist_ok=True)
    images = {name: _save(figure, directory / name) for name, figure in _figures(result).items()}
    page = directory / "index.html"
    page.write_text(_html(result, label, images), encoding="utf-8")
    return page


# ---- plots ---------------------------------------------------------------------------


def _figures(result: TrainingResult) -> dict[str, Figure]:
    return {
        "roc.png": _roc_figure(result),
        "ks.png": _ks_figure(result),
        "calibration.png": _calibration_figure(result),
        "score_distribution.png": _score_figure(result),
        "importance.png": _importance_figure(result),
    }


def _save(figure: Figure, path: Path) -> bytes:
    FigureCanvasAgg(figure)
    figure.savefig(path, format="png", dpi=96, metadata=_PNG_METADATA)
    return path.read_bytes()


def _axes(title: str, xlabel: str, ylabel: str) -> tuple[Figure, Any]:
    figure = Figure(figsize=(6.0, 4.0), layout="tight")
    axes = figure.add_subplot()
    axes.set(title=title, xlabel=xlabel, ylabel=ylabel)
    return figure, axes


def _roc_figure(result: TrainingResult) -> Figure:
    points = evaluation.roc_points(result.y_holdout, result.pd_holdout)
    figure, axes = _axes("ROC on the holdout", "False positive rate", "True positive rate")
    axes.plot(points["fpr"], points["tpr"], label=f"AUC {result.metrics['auc']:.3f}")
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1)
    axes.legend(loc="lower right")
    return figure


def _ks_figure(result: TrainingResult) -> Figure:
    """Cumulative shares of defaults and goods by PD threshold; KS is the widest gap."""
    order = np.argsort(-result.pd_holdout, kind="stable")
    pds, bads = result.pd_holdout[order], result.y_holdout[order].astype(np.float64)
    cum_bad = np.concatenate([[0.0], np.cumsum(bads) / max(bads.sum(), 1.0)])
    cum_good = np.concatenate([[0.0], np.cumsum(1.0 - bads) / max((1.0 - bads).sum(), 1.0)])
    share = np.linspace(0.0, 1.0, pds.size + 1)
    gap = int(np.argmax(np.abs(cum_bad - cum_good)))
    figure, axes = _axes(
        f"KS {result.metrics['ks']:.3f} on the holdout", "Share of applications by PD", "Share"
    )
    axes.plot(share, cum_bad, label="defaults (cumulative)")
    axes.plot(share, cum_good, label="goods (cumulative)")
    axes.vlines(share[gap], cum_good[gap], cum_bad[gap], colors="grey", linestyles="--")
    axes.legend(loc="lower right")
    return figure


def _calibration_figure(result: TrainingResult) -> Figure:
    rows = result.calibration
    figure, axes = _axes("Calibration by decile", "Mean predicted PD", "Observed default rate")
    axes.plot([r["mean_pd"] for r in rows], [r["observed_rate"] for r in rows], marker="o")
    top = max([r["mean_pd"] for r in rows] + [r["observed_rate"] for r in rows] + [0.01])
    axes.plot([0, top], [0, top], linestyle="--", color="grey", linewidth=1)
    return figure


def _score_figure(result: TrainingResult) -> Figure:
    scaling = result.config.scaling
    scores = scaling.scores(result.pd_holdout)
    edges = np.linspace(scaling.min_score, scaling.max_score, 27)
    histogram = evaluation.score_distribution(scores, result.y_holdout, edges=edges)
    figure, axes = _axes("Score distribution on the holdout", "Credit score", "Applications")
    width = float(edges[1] - edges[0])
    axes.bar(edges[:-1], histogram["goods"], width=width, align="edge", alpha=0.6, label="good")
    axes.bar(edges[:-1], histogram["bads"], width=width, align="edge", alpha=0.6, label="default")
    axes.legend()
    return figure


def _importance_figure(result: TrainingResult) -> Figure:
    items = list(result.importance.items())[:20][::-1]
    figure = Figure(figsize=(6.0, 0.3 * len(items) + 1.2), layout="tight")
    axes = figure.add_subplot()
    axes.barh([name for name, _ in items], [value for _, value in items])
    axes.set(title="Importance per field", xlabel="mean |SHAP| (log-odds)")
    return figure


# ---- HTML ----------------------------------------------------------------------------


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def _table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    head = "".join(f"<th>{_esc(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{_esc(_fmt(cell))}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _image(name: str, data: bytes) -> str:
    encoded = base64.b64encode(data).decode("ascii")
    return f'<img alt="{_esc(name)}" src="data:image/png;base64,{encoded}">'


def _metric_rows(result: TrainingResult) -> list[tuple[str, Any]]:
    m = result.metrics
    return [
        ("AUC", m["auc"]),
        ("Gini", m["gini"]),
        ("KS", m["ks"]),
        ("Brier score", m["brier"]),
        ("Log loss", m["log_loss"]),
        ("Holdout default rate", m["default_rate"]),
        ("CV AUC mean", m.get("cv_auc_mean")),
        ("CV AUC std", m.get("cv_auc_std")),
        ("Rows (train / holdout)", f"{result.n_train} / {result.n_test}"),
    ]


def _settings_rows(result: TrainingResult) -> list[tuple[str, Any]]:
    config = result.config
    scaling = config.scaling
    grades = ", ".join(f"{name} < {upper:g}" for name, upper in config.grades.bands)
    return [
        ("Approve when PD below", config.thresholds.approve_below),
        ("Reject when PD from", config.thresholds.reject_from),
        (
            "Score scaling",
            f"{scaling.base_score:g} points at odds {scaling.base_odds:g}:1, "
            f"{scaling.pdo:g} points to double the odds",
        ),
        ("Score range", f"{scaling.min_score} to {scaling.max_score}"),
        ("Risk grades (PD upper bounds, exclusive)", grades),
    ]


def _bands_section(result: TrainingResult) -> str:
    """The model's decisions on the holdout: PD range, share and bad rate per band."""
    bands = result.metrics.get("decision_bands")
    if not bands:
        return "<p>Not recorded for this version.</p>"
    rows = [
        (
            band["decision"],
            f"{band['pd_from']:.4f} to {band['pd_to']:.4f}",
            band["count"],
            band["share"],
            band["bad_rate"],
        )
        for band in bands["bands"]
    ]
    rates = bands.get("target_rates")
    chosen = (
        f"<p>Cut-offs chosen on the holdout to approve {rates['approve_rate']:.0%} and review "
        f"{rates['review_rate']:.0%}.</p>"
        if rates
        else "<p>Cut-offs as given.</p>"
    )
    headers = ["Decision", "PD", "n", "Share (approval rate for APPROVE)", "Bad rate"]
    return chosen + _table(headers, rows)


def _missing_section(result: TrainingResult) -> str:
    shares = result.metrics.get("missing_share")
    if shares is None:
        return "<p>Not recorded for this version.</p>"
    return _table(["Field", "Missing share"], list(shares.items()))


def _fairness_section(result: TrainingResult) -> str:
    if not result.fairness:
        return "<p>No protected attribute in the data.</p>"
    rows = [
        (
            attribute,
            row["group"],
            row["count"],
            row["approval_rate"],
            row["mean_pd"],
            row["disparate_impact"],
            "below 0.8" if row["flagged"] else "",
        )
        for attribute, groups in result.fairness.items()
        for row in groups
    ]
    headers = ["Attribute", "Group", "n", "Approval rate", "Mean PD", "Disparate impact", "Flag"]
    return _table(headers, rows)


def _html(result: TrainingResult, label: str, images: dict[str, bytes]) -> str:
    folds = result.metrics.get("cv_auc_folds") or []
    calibration = [
        (int(r["decile"]), int(r["n"]), r["mean_pd"], r["observed_rate"])
        for r in result.calibration
    ]
    params = sorted((k, v) for k, v in result.config.to_dict().items() if not isinstance(v, dict))
    sections = [
        f"<h1>Model {_esc(label)}</h1>",
        f"<p>Schema {_esc(result.schema_version)}, {result.n_rows} rows, "
        f"default rate {result.default_rate:.4f}.</p>",
        "<h2>Holdout metrics</h2>",
        _table(["Metric", "Value"], _metric_rows(result)),
        "<h2>Cross-validation AUC per fold</h2>",
        _table(["Fold", "AUC"], [(i + 1, auc) for i, auc in enumerate(folds)])
        if folds
        else "<p>No cross-validation.</p>",
        _image("roc.png", images["roc.png"]),
        _image("ks.png", images["ks.png"]),
        "<h2>Calibration by decile</h2>",
        _table(["Decile", "n", "Mean PD", "Observed rate"], calibration),
        _image("calibration.png", images["calibration.png"]),
        "<h2>Score distribution</h2>",
        _image("score_distribution.png", images["score_distribution.png"]),
        "<h2>Global importance per field</h2>",
        _table(["Field", "Mean |SHAP| (log-odds)"], list(result.importance.items())),
        _image("importance.png", images["importance.png"]),
        "<h2>Decisions on the holdout (thresholds only)</h2>",
        _bands_section(result),
        "<h2>Missing values per field (training data)</h2>",
        _missing_section(result),
        "<h2>Fairness by protected group (holdout, thresholds only)</h2>",
        _fairness_section(result),
        "<h2>Decision thresholds and scaling</h2>",
        _table(["Setting", "Value"], _settings_rows(result)),
        "<h2>Training parameters</h2>",
        _table(["Parameter", "Value"], params),
    ]
    body = "\n".join(sections)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>KreditaX model {_esc(label)}</title><style>{_CSS}</style></head>"
        f"<body>\n{body}\n</body></html>\n"
    )
