"""One credit decision: the rules first, then the model version's PD thresholds.

A failed hard rule means REJECT whatever the model says. Reasons come from the model's
per-field attributions (REVIEW/REJECT: what raised the risk most; APPROVE: what helped
most). When only the repayment-to-income cap stands in the way, a counteroffer says what
would meet it.

``decide`` is one application. ``decide_many`` and ``decide_stream`` decide many in array
passes (one prediction and TreeSHAP pass per chunk, rules, reasons and counteroffers over
columns) and give each application exactly the ``Decision`` ``decide`` gives it; an
application the array path cannot take (an odd value, an income of zero) is decided alone.
"""

from __future__ import annotations

import threading
from collections.abc import Generator, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from itertools import islice
from typing import Any

import numpy as np
import numpy.typing as npt

from credit_ml.features import (
    FeatureConfig,
    FeatureInputError,
    FloatArray,
    derivable,
    derive_features,
    record_columns,
)
from credit_ml.policy import (
    Counteroffer,
    PolicyEvaluator,
    PolicyOutcome,
    RuleSet,
    evaluate_policy,
    policy_counteroffer,
)
from credit_ml.preprocessing import DERIVED, NUMERIC
from credit_ml.reasons import Reason, ReasonBuilder, build_reasons
from credit_ml.scaling import Outcome
from credit_ml.schema import INDONESIAN_SCHEMA, ApplicationSchema
from credit_ml.scoring import ModelInput, ModelOutput, ScoredRows, ScoringModel


@dataclass(frozen=True)
class Decision:
    """Everything a caller returns and records for one application."""

    probability_of_default: float
    credit_score: int
    risk_grade: str
    decision: Outcome
    model_decision: Outcome
    reasons: tuple[Reason, ...]
    policy: PolicyOutcome
    counteroffer: Counteroffer | None
    base_value: float
    margin: float
    contributions: Mapping[str, float]
    derived: Mapping[str, float]

    @property
    def failed_rules(self) -> tuple[str, ...]:
        return tuple(result.code for result in self.policy.results if not result.passed)


def derived_values(
    values: Mapping[str, Any], config: FeatureConfig, schema: ApplicationSchema
) -> dict[str, float]:
    """The derived features of one cleaned application, as plain floats in original units."""
    if not schema.derived:
        return {}
    names = {name for feature in schema.derived for name in feature.inputs}
    columns = {
        name: np.array([np.nan if values.get(name) is None else float(values[name])])
        for name in names
    }
    return {name: float(array[0]) for name, array in derive_features(columns, config).items()}


def _compose(
    output: ModelOutput,
    values: Mapping[str, Any],
    *,
    policy: PolicyOutcome,
    config: FeatureConfig,
    schema: ApplicationSchema,
) -> Decision:
    decision = output.model_decision if policy.passed else Outcome.REJECT
    derived = derived_values(values, config, schema)
    reasons = build_reasons(
        output.contributions, values=values, derived=derived, decision=decision, schema=schema
    )
    offer = None if policy.passed else policy_counteroffer(policy, values, feature_config=config)
    return Decision(
        probability_of_default=output.probability_of_default,
        credit_score=output.credit_score,
        risk_grade=output.risk_grade,
        decision=decision,
        model_decision=output.model_decision,
        reasons=reasons,
        policy=policy,
        counteroffer=offer,
        base_value=output.base_value,
        margin=output.margin,
        contributions=output.contributions,
        derived=derived,
    )


def decide(
    model: ScoringModel,
    values: Mapping[str, Any],
    *,
    rule_set: RuleSet,
    on: date,
    schema: ApplicationSchema = INDONESIAN_SCHEMA,
) -> Decision:
    """Decide one cleaned application (``validate_record`` output) as of ``on``."""
    config = model.manifest.feature_config
    policy = evaluate_policy(rule_set, values, on=on, feature_config=config, collected=schema.names)
    output = model.score_row(values)
    return _compose(output, values, policy=policy, config=config, schema=schema)


def decide_many(
    model: ScoringModel,
    applications: Sequence[Mapping[str, Any]],
    *,
    rule_set: RuleSet,
    on: date,
    schema: ApplicationSchema = INDONESIAN_SCHEMA,
) -> list[Decision]:
    """Decide many applications with one vectorised prediction and attribution pass.

    Each decision equals ``decide`` of that application. An application ``decide`` refuses
    with ``FeatureInputError`` (zero income, say) makes the whole call raise that error (the
    first such application's); ``decide_stream`` reports it in its place instead.
    """
    if not applications:
        return []
    batch = _Batch(model, rule_set=rule_set, on=on, schema=schema)
    prepared = batch.prepare(applications)
    scored = batch.score(prepared)
    decisions: list[Decision] = []
    for item in batch.compose(applications, prepared, scored):
        if isinstance(item, FeatureInputError):
            raise item
        decisions.append(item)
    return decisions


def decide_stream(
    model: ScoringModel,
    applications: Iterable[Mapping[str, Any]],
    *,
    rule_set: RuleSet,
    on: date,
    schema: ApplicationSchema = INDONESIAN_SCHEMA,
    chunk_size: int = 128,
) -> Generator[list[Decision | FeatureInputError], None, None]:
    """Decide applications chunk by chunk, the model working one chunk ahead.

    Yields one list per ``chunk_size`` applications (the last may be shorter), in input
    order: for each application the ``Decision`` that ``decide`` gives it, or the
    ``FeatureInputError`` that ``decide`` raises for it (the others are not affected).
    While the caller handles a chunk, the prediction and TreeSHAP of the next one run in a
    worker thread (one per call; XGBoost and LightGBM release the GIL while they predict;
    the booster keeps its own ``nthread``); reading, encoding and composing decisions stay
    in the caller's thread. The worker is shut down when the stream ends, fails or is
    closed early. Any other error is raised from the stream. ``applications`` may be any
    iterable: it is read one chunk ahead.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1.")
    return _stream(
        model, iter(applications), rule_set=rule_set, on=on, schema=schema, size=chunk_size
    )


def _stream(
    model: ScoringModel,
    applications: Iterator[Mapping[str, Any]],
    *,
    rule_set: RuleSet,
    on: date,
    schema: ApplicationSchema,
    size: int,
) -> Generator[list[Decision | FeatureInputError], None, None]:
    """The pipeline: while the worker predicts chunk k, this thread reads and encodes chunk
    k + 1; then the worker predicts k + 1 while this thread composes chunk k and the caller
    handles it."""
    chunk = list(islice(applications, size))
    if not chunk:
        return
    batch = _Batch(model, rule_set=rule_set, on=on, schema=schema)
    worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix=WORKER_NAME)
    try:
        prepared = batch.prepare(chunk)
        pending = batch.submit(worker, prepared)
        while True:
            following = list(islice(applications, size))
            upcoming = batch.prepare(following) if following else None
            scored = pending.result()
            if upcoming is not None:
                pending = batch.submit(worker, upcoming)
            yield batch.compose(chunk, prepared, scored)
            if upcoming is None:
                return
            chunk, prepared = following, upcoming
    finally:
        worker.shutdown(wait=True, cancel_futures=True)


#: Name prefix of ``decide_stream``'s worker threads.
WORKER_NAME = "kreditax-decide"

#: How long ``_Batch.submit`` waits for the worker to take up a chunk (seconds).
_START_WAIT = 0.1


@dataclass(frozen=True)
class _Prepared:
    """One chunk read and encoded: the ``fast`` rows (positions in the chunk) go the array
    way, with their ``records``, numeric ``columns``, derived features (``derived_values``
    of each, as columns) and encoded ``model_input``; the other rows are decided alone."""

    fast: npt.NDArray[np.intp]
    records: Sequence[Mapping[str, Any]]
    columns: Mapping[str, FloatArray]
    derived: Mapping[str, FloatArray]
    model_input: ModelInput | None


_NOTHING = _Prepared(np.zeros(0, dtype=np.intp), (), {}, {}, None)


class _Batch:
    """What the chunks of one call share: the model, the rules on the date, the schema, and
    the evaluators that work out their constants once and cache repeated texts."""

    def __init__(
        self, model: ScoringModel, *, rule_set: RuleSet, on: date, schema: ApplicationSchema
    ) -> None:
        self.model = model
        self.rule_set = rule_set
        self.on = on
        self.schema = schema
        self.config = model.manifest.feature_config
        self.policy = PolicyEvaluator(
            rule_set, on=on, feature_config=self.config, collected=schema.names
        )
        encoder = model.encoder
        self.derived_inputs = tuple(
            dict.fromkeys(name for feature in schema.derived for name in feature.inputs)
        )
        encoded = [field.name for field in encoder.fields if field.kind == NUMERIC]
        self.numeric = tuple(
            dict.fromkeys(
                [
                    *encoded,
                    *encoder.derived_inputs,
                    *self.policy.numeric_fields,
                    *self.derived_inputs,
                ]
            )
        )
        self.derives = any(field.kind == DERIVED for field in encoder.fields) or bool(
            schema.derived
        )
        self.reasons = ReasonBuilder(tuple(dict.fromkeys(encoder.column_groups)), schema=schema)

    def prepare(self, chunk: Sequence[Mapping[str, Any]]) -> _Prepared:
        """Read, screen and encode a chunk. A row goes the array way when its numbers are
        plain and neither its DSR nor its derived features can fail."""
        n = len(chunk)
        columns, fast_rows = record_columns(chunk, self.numeric)
        fast_rows &= self.policy.usable(columns, n)
        if self.derives:
            fast_rows &= derivable(columns)
        fast = np.flatnonzero(fast_rows)
        if not fast.size:
            return _NOTHING
        records = chunk if fast.size == n else [chunk[i] for i in fast.tolist()]
        if fast.size < n:
            columns = {name: column[fast] for name, column in columns.items()}
        try:
            encoded = self.model.encoder.encode_many(records, columns=columns)
            derived = (
                derive_features({name: columns[name] for name in self.derived_inputs}, self.config)
                if self.schema.derived
                else {}
            )
        except FeatureInputError:  # screened out above; should one slip through, go alone
            return _NOTHING
        return _Prepared(fast, records, columns, derived, self.model.model_input(encoded))

    def score(self, prepared: _Prepared) -> ScoredRows | None:
        """Predict and explain the array-path rows (may run in the worker thread)."""
        if prepared.model_input is None:
            return None
        return self.model.score_input(prepared.model_input)

    def submit(self, worker: ThreadPoolExecutor, prepared: _Prepared) -> Future[ScoredRows | None]:
        """``score`` in ``worker``, returned once the worker has taken it up.

        Waiting for the start hands the GIL to the worker at once, so its few Python steps
        before the booster's call do not wait for this thread's switch interval.
        """
        started = threading.Event()

        def run() -> ScoredRows | None:
            started.set()
            return self.score(prepared)

        future = worker.submit(run)
        started.wait(_START_WAIT)
        return future

    def compose(
        self,
        chunk: Sequence[Mapping[str, Any]],
        prepared: _Prepared,
        scored: ScoredRows | None,
    ) -> list[Decision | FeatureInputError]:
        """The decisions of a chunk: rules, reasons and counteroffers of the array-path rows,
        ``decide`` for the others."""
        items: list[Decision | FeatureInputError | None] = [None] * len(chunk)
        alone = np.ones(len(chunk), dtype=np.bool_)
        alone[prepared.fast] = False
        for i in np.flatnonzero(alone).tolist():
            try:
                items[i] = decide(
                    self.model, chunk[i], rule_set=self.rule_set, on=self.on, schema=self.schema
                )
            except FeatureInputError as exc:
                items[i] = exc
        if scored is not None:
            decided = self._compose(prepared.records, prepared.columns, scored, prepared.derived)
            for i, decision in zip(prepared.fast.tolist(), decided, strict=True):
                items[i] = decision
        return [item for item in items if item is not None]

    def _compose(
        self,
        records: Sequence[Mapping[str, Any]],
        columns: Mapping[str, FloatArray],
        scored: ScoredRows,
        derived_columns: Mapping[str, FloatArray],
    ) -> list[Decision]:
        policy = self.policy.evaluate(records, columns)
        decisions = [
            model_decision if passed else Outcome.REJECT
            for model_decision, passed in zip(
                scored.model_decision, policy.passed.tolist(), strict=True
            )
        ]
        names = tuple(derived_columns)
        derived: list[dict[str, float]] = (
            [
                dict(zip(names, row, strict=True))
                for row in zip(*(c.tolist() for c in derived_columns.values()), strict=True)
            ]
            if names
            else [{} for _ in records]
        )
        reasons = self.reasons.build(
            scored.contributions, values=records, derived=derived, decisions=decisions
        )
        offers = self.policy.counteroffers(records, columns, policy)
        groups = scored.groups
        return [
            Decision(
                probability_of_default=pd_value,
                credit_score=score,
                risk_grade=grade,
                decision=decision,
                model_decision=model_decision,
                reasons=row_reasons,
                policy=outcome,
                counteroffer=offer,
                base_value=base_value,
                margin=margin,
                contributions=dict(zip(groups, contributions, strict=True)),
                derived=row_derived,
            )
            for (
                pd_value,
                score,
                grade,
                decision,
                model_decision,
                row_reasons,
                outcome,
                offer,
                base_value,
                margin,
                contributions,
                row_derived,
            ) in zip(
                scored.probability_of_default.tolist(),
                scored.credit_score.tolist(),
                scored.risk_grade,
                decisions,
                scored.model_decision,
                reasons,
                policy.outcomes,
                offers,
                scored.base_value.tolist(),
                scored.margin.tolist(),
                scored.contributions.tolist(),
                derived,
                strict=True,
            )
        ]
