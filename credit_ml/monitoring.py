"""Monitoring a model in production: baselines, population stability and characteristic
analysis (pure numpy/pandas, no Django).

A *baseline* is the distribution of the score and of every application field on the data a
version was trained on: for the score and each numeric field the bins are cut at its deciles
(the interior cut points, each an observed value, duplicates removed, so a field with many
equal values has fewer bins); each categorical or ordinal field has one bin per category
(the schema's choices, or the categories seen), and every field has a bin for missing
values and a categorical one a bin for values the baseline never saw. Numeric bins are
``(-inf, e1], (e1, e2], ..., (em, inf)``.

PSI (population stability index) of a period against the baseline is
``sum((a - e) * ln(a / e))`` over the bins, with ``e`` the baseline's share and ``a`` the
period's; a share of zero is floored at ``EMPTY_SHARE`` first, so an empty bin adds a large
but finite amount instead of infinity. Bands: stable under ``watch``, act above ``act``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from credit_ml import explain
from credit_ml.fairness import group_rows, protected_groups
from credit_ml.schema import ApplicationSchema, FieldKind

if TYPE_CHECKING:
    from credit_ml.scoring import ScoringModel
    from credit_ml.training import TrainingResult

#: A bin's share is floored at this before the PSI's logarithm (an empty bin's share).
EMPTY_SHARE = 1e-4
MISSING_BIN = "missing"
#: What a report says instead of a number for a variable without data in the period.
NO_DATA = "no data"
UNSEEN_BIN = "unseen"
DECILES = tuple(q / 10 for q in range(1, 10))
BinKind = Literal["numeric", "categorical"]
Band = Literal["stable", "watch", "act"]
#: The baseline's origin: the version's training data, or its first month of decisions.
BaselineSource = Literal["training", "decisions"]


@dataclass(frozen=True)
class PsiBands:
    """PSI rules of thumb: ``stable`` below ``watch``, ``watch`` up to ``act``, ``act`` over."""

    watch: float = 0.10
    act: float = 0.25

    def __post_init__(self) -> None:
        if not 0 < self.watch <= self.act:
            raise ValueError("PSI bands need 0 < watch <= act.")

    def band(self, psi: float) -> Band:
        if psi < self.watch:
            return "stable"
        return "watch" if psi <= self.act else "act"


@dataclass(frozen=True)
class Bins:
    """How one variable is binned, and the baseline's share in each bin (labels order).

    ``edges``: a numeric variable's interior cut points, ascending; ``categories``: a
    categorical variable's known values. ``shares`` sum to 1 (``n`` > 0).
    """

    kind: BinKind
    edges: tuple[float, ...] = ()
    categories: tuple[str, ...] = ()
    shares: tuple[float, ...] = ()
    n: int = 0

    @property
    def labels(self) -> tuple[str, ...]:
        if self.kind == "categorical":
            return (*self.categories, MISSING_BIN, UNSEEN_BIN)
        if not self.edges:
            return ("all", MISSING_BIN)
        inner = [f"({lo:g}, {hi:g}]" for lo, hi in zip(self.edges, self.edges[1:], strict=False)]
        return (f"<= {self.edges[0]:g}", *inner, f"> {self.edges[-1]:g}", MISSING_BIN)

    def counts(self, values: Iterable[Any]) -> npt.NDArray[np.int64]:
        """How many of ``values`` fall in each bin (labels order)."""
        if self.kind == "numeric":
            return _numeric_counts(_floats(values), self.edges)
        return _category_counts([_text(v) for v in values], self.categories)

    def with_shares_of(self, values: Iterable[Any]) -> Bins:
        """These bins with the shares (and ``n``) of ``values``."""
        counts = self.counts(values)
        return Bins(self.kind, self.edges, self.categories, shares_of(counts), int(counts.sum()))

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "edges": list(self.edges),
            "categories": list(self.categories),
            "shares": list(self.shares),
            "n": self.n,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Bins:
        kind: BinKind = "numeric" if data["kind"] == "numeric" else "categorical"
        return cls(
            kind=kind,
            edges=tuple(float(v) for v in data["edges"]),
            categories=tuple(str(v) for v in data["categories"]),
            shares=tuple(float(v) for v in data["shares"]),
            n=int(data["n"]),
        )


def _floats(values: Iterable[Any]) -> npt.NDArray[np.float64]:
    series = pd.to_numeric(pd.Series(list(values), dtype=object), errors="coerce")
    return np.asarray(series.to_numpy(dtype=np.float64, na_value=np.nan))


def _text(value: Any) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value)
    return text if text else None


def _numeric_counts(x: npt.NDArray[np.float64], edges: Sequence[float]) -> npt.NDArray[np.int64]:
    finite = np.isfinite(x)
    index = np.searchsorted(np.asarray(edges, dtype=np.float64), x[finite], side="left")
    counts = np.bincount(index, minlength=len(edges) + 1).astype(np.int64)
    return np.append(counts, np.int64((~finite).sum()))


def _category_counts(
    values: Sequence[str | None], categories: Sequence[str]
) -> npt.NDArray[np.int64]:
    position = {name: i for i, name in enumerate(categories)}
    missing, unseen = len(categories), len(categories) + 1
    index = [missing if v is None else position.get(v, unseen) for v in values]
    return np.bincount(np.asarray(index, dtype=np.intp), minlength=len(categories) + 2).astype(
        np.int64
    )


def shares_of(counts: npt.ArrayLike) -> tuple[float, ...]:
    """Counts as shares of their total (all zeros for no data)."""
    c = np.asarray(counts, dtype=np.float64)
    total = c.sum()
    return tuple((c / total).tolist()) if total > 0 else tuple(0.0 for _ in c)


def numeric_bins(values: Iterable[Any]) -> Bins:
    """Bins cut at the deciles of the finite ``values``, with their shares."""
    x = _floats(values)
    finite = x[np.isfinite(x)]
    edges = (
        tuple(np.unique(np.quantile(finite, DECILES, method="inverted_cdf")).tolist())
        if finite.size
        else ()
    )
    return Bins("numeric", edges=edges).with_shares_of(x)


def categorical_bins(values: Iterable[Any], *, categories: Sequence[str] = ()) -> Bins:
    """One bin per category (``categories``, or those seen, sorted), missing and unseen."""
    texts = [_text(v) for v in values]
    known = tuple(categories) or tuple(sorted({t for t in texts if t is not None}))
    return Bins("categorical", categories=known).with_shares_of(texts)


def psi(expected: Sequence[float], actual: Sequence[float]) -> float:
    """Population stability index of ``actual`` shares against ``expected`` (same bins)."""
    e = np.maximum(np.asarray(expected, dtype=np.float64), EMPTY_SHARE)
    a = np.maximum(np.asarray(actual, dtype=np.float64), EMPTY_SHARE)
    if e.shape != a.shape:
        raise ValueError("expected and actual need the same bins.")
    return float(np.sum((a - e) * np.log(a / e)))


@dataclass(frozen=True)
class Stability:
    """One variable's PSI against its baseline, with both shares per bin; ``psi`` and
    ``band`` are None when the period has no value for it."""

    psi: float | None
    band: Band | None
    labels: tuple[str, ...]
    baseline_shares: tuple[float, ...]
    period_shares: tuple[float, ...]
    n: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "psi": NO_DATA if self.psi is None else self.psi,
            "band": NO_DATA if self.band is None else self.band,
            "bins": [
                {"bin": label, "baseline": base, "period": period}
                for label, base, period in zip(
                    self.labels, self.baseline_shares, self.period_shares, strict=True
                )
            ],
            "n": self.n,
        }


def stability(baseline: Bins, values: Iterable[Any], *, bands: PsiBands) -> Stability:
    """PSI of ``values`` against ``baseline``; None (no data) when every value is missing."""
    counts = baseline.counts(values)
    present = int(counts.sum() - counts[baseline.labels.index(MISSING_BIN)])
    shares = shares_of(counts)
    value = psi(baseline.shares, shares) if present > 0 else None
    return Stability(
        psi=value,
        band=None if value is None else bands.band(value),
        labels=baseline.labels,
        baseline_shares=baseline.shares,
        period_shares=shares,
        n=int(counts.sum()),
    )


@dataclass(frozen=True)
class ModelBaseline:
    """A version's baseline: the score's and each field's bins and shares, each field's mean
    contribution to the margin (log-odds; positive raises the PD) and the score's points per
    unit of log-odds (``pdo / ln 2``), so a contribution's change reads in score points."""

    source: BaselineSource
    score: Bins
    fields: Mapping[str, Bins]
    mean_contributions: Mapping[str, float] = field(default_factory=dict)
    points_per_log_odds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "score": self.score.to_dict(),
            "fields": {name: bins.to_dict() for name, bins in self.fields.items()},
            "mean_contributions": dict(self.mean_contributions),
            "points_per_log_odds": self.points_per_log_odds,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelBaseline:
        source: BaselineSource = "decisions" if data["source"] == "decisions" else "training"
        return cls(
            source=source,
            score=Bins.from_dict(data["score"]),
            fields={name: Bins.from_dict(b) for name, b in data["fields"].items()},
            mean_contributions={k: float(v) for k, v in data["mean_contributions"].items()},
            points_per_log_odds=float(data["points_per_log_odds"]),
        )


def monitored_fields(schema: ApplicationSchema, columns: Iterable[str]) -> list[str]:
    """The schema's application fields (no identity) among ``columns``, in schema order."""
    present = set(columns)
    return [spec.name for spec in schema.fields if spec.is_feature_kind and spec.name in present]


def field_bins(schema: ApplicationSchema, name: str, values: Iterable[Any]) -> Bins:
    spec = schema.field(name)
    if spec.kind is FieldKind.NUMERIC:
        return numeric_bins(values)
    return categorical_bins(values, categories=spec.choices)


def model_baseline(
    frame: pd.DataFrame,
    *,
    schema: ApplicationSchema,
    scores: npt.ArrayLike,
    contributions: Mapping[str, float],
    points_per_log_odds: float,
    source: BaselineSource = "training",
) -> ModelBaseline:
    """The baseline of the application fields in ``frame`` and of ``scores``."""
    names = monitored_fields(schema, frame.columns)
    return ModelBaseline(
        source=source,
        score=numeric_bins(np.asarray(scores, dtype=np.float64)),
        fields={name: field_bins(schema, name, frame[name].tolist()) for name in names},
        mean_contributions=dict(contributions),
        points_per_log_odds=points_per_log_odds,
    )


@dataclass(frozen=True)
class Characteristic:
    """A field's mean contribution (in score points, higher is better) at baseline and in
    the period, and the change; None where the period has none."""

    baseline_points: float
    period_points: float | None
    change_points: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "baseline_points": self.baseline_points,
            "period_points": self.period_points,
            "change_points": self.change_points,
        }


def characteristic_analysis(
    baseline: ModelBaseline, contributions: Sequence[Mapping[str, float]]
) -> dict[str, Characteristic]:
    """Per field of the baseline, the change in mean contribution to the score.

    ``contributions``: one mapping per decision, field to log-odds (as recorded). Points are
    ``-points_per_log_odds * log-odds`` (a positive contribution raises the PD and lowers
    the score).
    """
    factor = -baseline.points_per_log_odds
    out: dict[str, Characteristic] = {}
    for name, base in baseline.mean_contributions.items():
        values = [row[name] for row in contributions if name in row]
        period = factor * float(np.mean(values)) if values else None
        out[name] = Characteristic(
            baseline_points=factor * base,
            period_points=period,
            change_points=None if period is None else period - factor * base,
        )
    return out


#: At most this many holdout rows are explained for the baseline's mean contributions.
CONTRIBUTION_ROWS = 2000


def mean_contributions(
    booster: Any, encoded: npt.NDArray[np.float32], column_groups: Sequence[str], n_threads: int
) -> dict[str, float]:
    """Each field's mean TreeSHAP contribution (log-odds) over encoded rows."""
    raw = explain.contributions(booster, encoded, n_threads=n_threads)
    groups, grouped = explain.group_contributions(raw, column_groups)
    means = grouped.mean(axis=0) if grouped.shape[0] else np.zeros(len(groups))
    return {name: float(v) for name, v in zip(groups, means, strict=True)}


def training_baseline(
    result: TrainingResult, frame: pd.DataFrame, *, schema: ApplicationSchema
) -> ModelBaseline:
    """The baseline of a training run: every field over the whole training ``frame``; the
    score and the mean contributions over the holdout (the rows the model did not fit)."""
    return _trained_baseline(
        result, frame, frame.take(result.test_index[:CONTRIBUTION_ROWS]), schema
    )


def holdout_sample_baseline(
    result: TrainingResult, sample: pd.DataFrame, *, schema: ApplicationSchema
) -> ModelBaseline:
    """``training_baseline`` for a caller that never holds the training frame (the Dask
    engine): every field over ``sample``, a uniform sample of the holdout's rows (which are
    a stratified sample of the data), instead of over the whole frame; the score over the
    whole holdout and the mean contributions over the sample's first rows."""
    return _trained_baseline(result, sample, sample.iloc[:CONTRIBUTION_ROWS], schema)


def _trained_baseline(
    result: TrainingResult, fields: pd.DataFrame, rows: pd.DataFrame, schema: ApplicationSchema
) -> ModelBaseline:
    scaling = result.config.scaling
    encoded = result.encoder.transform(rows)
    return model_baseline(
        fields,
        schema=schema,
        scores=scaling.scores(result.pd_holdout),
        contributions=mean_contributions(
            result.booster, encoded, result.encoder.column_groups, result.config.n_threads
        ),
        points_per_log_odds=scaling.factor,
    )


def refitted_baseline(
    model: ScoringModel, frame: pd.DataFrame, holdout: npt.NDArray[np.intp]
) -> ModelBaseline:
    """The training baseline of a version saved before baselines, from its training frame
    and its holdout rows' positions (``credit_ml.training.holdout_rows``)."""
    scaling = model.manifest.scaling
    rows = frame.take(holdout)
    encoded = model.encoder.transform(rows.iloc[:CONTRIBUTION_ROWS])
    return model_baseline(
        frame,
        schema=model.schema,
        scores=scaling.scores(model.score_frame(rows)),
        contributions=mean_contributions(
            model.booster, encoded, model.encoder.column_groups, model.n_threads
        ),
        points_per_log_odds=scaling.factor,
    )


def decisions_baseline(
    fields: Mapping[str, Sequence[Any]],
    *,
    schema: ApplicationSchema,
    scores: Sequence[float],
    contributions: Sequence[Mapping[str, float]],
    points_per_log_odds: float,
) -> ModelBaseline:
    """A baseline from a version's first decisions: each field's recorded values, the
    recorded scores and the mean of the recorded contributions."""
    names = [name for name in monitored_fields(schema, fields) if name in fields]
    groups = list(dict.fromkeys(name for row in contributions for name in row))
    return ModelBaseline(
        source="decisions",
        score=numeric_bins(np.asarray(scores, dtype=np.float64)),
        fields={name: field_bins(schema, name, fields[name]) for name in names},
        mean_contributions={
            g: float(np.mean([row[g] for row in contributions if g in row])) for g in groups
        },
        points_per_log_odds=points_per_log_odds,
    )


# ---- decision mix and fairness over a period --------------------------------------------

DECISIONS = ("APPROVE", "REVIEW", "REJECT")


def _count_rate(count: int, n: int) -> dict[str, Any]:
    return {"count": count, "rate": count / n if n else None}


def decision_counts(decisions: Sequence[str]) -> dict[str, Any]:
    """Count and rate of each decision, and the approval rate (None without decisions)."""
    n = len(decisions)
    counts = {name: _count_rate(sum(d == name for d in decisions), n) for name in DECISIONS}
    return {"n": n, **counts, "approval_rate": counts["APPROVE"]["rate"]}


def override_rate(
    recorded: Sequence[str], human: Sequence[tuple[str, bool] | None]
) -> dict[str, Any]:
    """How often people changed the automated decisions they reviewed.

    ``recorded``: each decision as the engine made it; ``human``: for the same decisions,
    ``(final decision, needed a second officer)`` where a person decided it, else ``None``.
    An override is a person's decision against the engine's: an APPROVE or REJECT turned the
    other way (a counteroffer accepted counts as APPROVE), or any resolution that needed four
    eyes because it went against the model or a rule. REVIEW decisions a person settled the
    engine's way are reviewed, not overridden."""
    reviewed = overridden = 0
    for engine, person in zip(recorded, human, strict=True):
        if person is None:
            continue
        final, four_eyes = person
        final = "APPROVE" if final.startswith("APPROVE") else final
        reviewed += 1
        overridden += four_eyes or (engine in ("APPROVE", "REJECT") and final != engine)
    return {"reviewed": reviewed, **_count_rate(overridden, reviewed)}


def decision_mix(frame: pd.DataFrame) -> dict[str, Any]:
    """Decision counts and rates, each rule's hit rate, reason codes' frequencies and the
    grade distribution of a period's decisions, and the decision counts by client and by
    province. ``frame``: columns ``decision``, ``failed_rules`` (lists), ``reason_codes``
    (lists), ``risk_grade``, ``client_name`` and, when known, ``field:province``."""
    n = len(frame)
    rules = pd.Series([r for rules in frame["failed_rules"] for r in rules], dtype=object)
    reasons = pd.Series([c for codes in frame["reason_codes"] for c in codes], dtype=object)
    grades = frame["risk_grade"].value_counts().sort_index()
    return {
        **decision_counts(frame["decision"].tolist()),
        "rule_hit_rates": {
            str(k): _count_rate(int(v), n) for k, v in rules.value_counts().sort_index().items()
        },
        "reason_codes": {str(k): int(v) for k, v in reasons.value_counts().sort_index().items()},
        "grades": {str(k): _count_rate(int(v), n) for k, v in grades.items()},
        "by_client": _decisions_by(frame, "client_name"),
        "by_province": _decisions_by(frame, "field:province"),
    }


def _decisions_by(frame: pd.DataFrame, column: str) -> dict[str, Any]:
    if column not in frame.columns:
        return {}
    keys = frame[column].map(lambda v: MISSING_BIN if _text(v) is None else str(v))
    return {
        str(key): decision_counts(part["decision"].tolist())
        for key, part in frame.groupby(keys, sort=True)
    }


def fairness_over_period(
    frame: pd.DataFrame, *, schema: ApplicationSchema
) -> dict[str, list[dict[str, Any]]]:
    """Approval rate (the decision made, rules included), mean PD and disparate-impact ratio
    (flagged below 0.8) per group of each protected field the decisions carry."""
    if frame.empty:
        return {}
    fields = pd.DataFrame(
        {
            name.removeprefix("field:"): frame[name].tolist()
            for name in frame.columns
            if name.startswith("field:")
        }
    )
    approved = (frame["decision"] == "APPROVE").to_numpy(dtype=np.bool_)
    pds = frame["probability_of_default"].to_numpy(dtype=np.float64)
    return {
        name: group_rows(groups, approved=approved, pds=pds)
        for name, groups in protected_groups(fields, schema=schema).items()
    }
