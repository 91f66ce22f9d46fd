"""Credit decisions: the rules first, then the model version's PD thresholds.

A failed hard rule means REJECT whatever the model says, and is the first reason given.
The other reasons come from the model's per-field attributions (REVIEW/REJECT: what
raised the risk most; APPROVE: what helped most). When only the repayment-to-income cap
stands in the way, a counteroffer says what would meet it.

Every application is decided in array passes: one prediction and TreeSHAP pass per chunk,
rules, reasons and counteroffers over columns. ``decide_many`` and ``decide_stream`` decide
many; ``decide`` is ``decide_many`` of one. A row's result never depends on the other rows
of its chunk.
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
    BoolArray,
    FeatureConfig,
    FeatureInputError,
    FloatArray,
    derive_rows,
    record_columns,
)
from credit_ml.memo import IdentityMemo
from credit_ml.policy import (
    Counteroffer,
    PolicyBatch,
    PolicyEvaluator,
    PolicyOutcome,
    RuleSet,
    policy_evaluator,
)
from credit_ml.preprocessing import Encoder
from credit_ml.reasons import Reason, ReasonBuilder, ReasonCode, reason_builder
from credit_ml.scaling import DecisionThresholds, Outcome
from credit_ml.schema import INDONESIAN_SCHEMA, ApplicationSchema
from credit_ml.scoring import ModelInput, ScoredRows, ScoringModel


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


def decide(
    model: ScoringModel,
    values: Mapping[str, Any],
    *,
    rule_set: RuleSet,
    on: date,
    schema: ApplicationSchema = INDONESIAN_SCHEMA,
) -> Decision:
    """Decide one cleaned application (``validate_record`` output) as of ``on``.

    ``decide_many`` of one application: raises ``FeatureInputError`` when the application
    cannot be decided (zero income, say), or whatever else deciding it raises.
    """
    (decision,) = decide_many(model, [values], rule_set=rule_set, on=on, schema=schema)
    return decision


def decide_many(
    model: ScoringModel,
    applications: Sequence[Mapping[str, Any]],
    *,
    rule_set: RuleSet,
    on: date,
    schema: ApplicationSchema = INDONESIAN_SCHEMA,
) -> list[Decision]:
    """Decide many applications with one vectorised prediction and attribution pass.

    An application that cannot be decided with ``FeatureInputError`` (zero income, say)
    makes the whole call raise that error (the first such application's);
    ``decide_stream`` reports it in its place instead. Any other error is raised (the first
    application's in input order).
    """
    if not applications:
        return []
    batch = _Batch(model, rule_set=rule_set, on=on, schema=schema)
    prepared = batch.prepare(applications)
    scored = batch.score(prepared)
    decisions: list[Decision] = []
    for item in batch.compose(prepared, scored):
        if isinstance(item, FeatureInputError):
            raise item
        decisions.append(item)
    return decisions


@dataclass(frozen=True)
class Outcomes:
    """The decisions of many applications without their explanations, as columns in input
    order: what ``decide_many`` gives each (PD, score, grade, decision, failed rules), where
    ``errors`` (by position) has none: there the PD is NaN and the decision empty."""

    probability_of_default: npt.NDArray[np.float64]
    credit_score: npt.NDArray[np.int64]
    risk_grade: tuple[str, ...]
    decision: tuple[str, ...]
    failed_rules: tuple[tuple[str, ...], ...]
    errors: Mapping[int, Exception]


def decide_outcomes(
    model: ScoringModel,
    applications: Sequence[Mapping[str, Any]],
    *,
    rule_set: RuleSet,
    on: date,
    schema: ApplicationSchema = INDONESIAN_SCHEMA,
) -> Outcomes:
    """``decide_many`` without reasons, counteroffers or TreeSHAP: the same rules, encoding
    and PD (the margin's logistic, bit for bit), for what-if simulations that re-decide
    many recorded applications. An application that cannot be decided gets its error in
    ``errors`` (whatever it is); the others are decided."""
    (outcomes,) = decide_outcomes_each(
        applications, passes=(OutcomePass(model, rule_set, on, schema),)
    )
    return outcomes


@dataclass(frozen=True)
class OutcomePass:
    """One ``decide_outcomes`` among those ``decide_outcomes_each`` makes together."""

    model: ScoringModel
    rule_set: RuleSet
    on: date
    schema: ApplicationSchema = INDONESIAN_SCHEMA


def decide_outcomes_each(
    applications: Sequence[Mapping[str, Any]], *, passes: Sequence[OutcomePass]
) -> list[Outcomes]:
    """``decide_outcomes`` of each pass, in that order, sharing what passes share: one
    reading of the applications for all, one encoding and model pass per model (and
    schema), one rules evaluation per rule set, date and feature configuration (the same
    ``policy_evaluator``). A simulation replays the recorded model and rule set and decides
    under a candidate rule set or model in one call.

    Each result equals ``decide_outcomes`` of its pass alone: a row's PD does not depend on
    the other rows scored with it (those a rule set refuses are scored all the same, and
    left out of its outcomes), and the rules' results do not depend on the model.
    """
    n = len(applications)
    batches = [_Batch(p.model, rule_set=p.rule_set, on=p.on, schema=p.schema) for p in passes]
    if not n:
        return [_outcomes_of(batch, None, {}, np.full(n, np.nan)) for batch in batches]
    numeric = tuple(dict.fromkeys(name for batch in batches for name in batch.plan.numeric))
    columns, plain = record_columns(applications, numeric)
    scored: dict[tuple[int, int], _Scored] = {}
    ruled: dict[int, PolicyBatch] = {}
    results = []
    for batch in batches:
        key = (id(batch.model), id(batch.schema))
        if key not in scored:
            scored[key] = batch.scored(applications, columns, plain)
        encoding_errors, refused, pds = scored[key]
        evaluator = batch.plan.policy
        if id(evaluator) not in ruled:
            ruled[id(evaluator)] = evaluator.evaluate(
                applications, columns=columns, plain=plain, texts=False
            )
        policy = ruled[id(evaluator)]
        # An application's error is its first step's: the rules, encoding, derived features.
        errors: dict[int, Exception] = {**encoding_errors, **policy.errors}
        for i, error in refused.items():
            errors.setdefault(i, error)
        results.append(_outcomes_of(batch, policy, errors, pds))
    return results


#: What one model makes of applications for ``decide_outcomes_each``: the encoding errors,
#: the derived features' errors and the PDs (NaN where either has an error).
_Scored = tuple[dict[int, Exception], dict[int, Exception], npt.NDArray[np.float64]]


def _outcomes_of(
    batch: _Batch,
    policy: PolicyBatch | None,
    errors: Mapping[int, Exception],
    pds: npt.NDArray[np.float64],
) -> Outcomes:
    """The outcomes under one rule set of applications whose PDs (NaN: not scored) are
    ``pds`` and whose errors are ``errors``."""
    model = batch.model
    n = len(pds)
    rows = _without(errors, n)
    scores = np.zeros(n, dtype=np.int64)
    grades, decisions = [""] * n, [""] * n
    failed: list[tuple[str, ...]] = [()] * n
    decided = np.full(n, np.nan)
    if policy is None or not rows.size:
        return Outcomes(decided, scores, tuple(grades), tuple(decisions), tuple(failed), errors)
    values = pds[rows]
    manifest = model.manifest
    thresholds = batch.plan.thresholds or manifest.thresholds
    decided[rows], scores[rows] = values, manifest.scaling.scores(values)
    codes = policy.failed_codes()
    for i, model_decision, grade, passed, review in zip(
        rows.tolist(),
        thresholds.decisions(values),
        manifest.grades.grades(values).tolist(),
        policy.passed[rows].tolist(),
        policy.review[rows].tolist(),
        strict=True,
    ):
        decisions[i] = str(_ruled_by(model_decision, passed=passed, review=review))
        grades[i] = grade
        failed[i] = codes[i]
    return Outcomes(decided, scores, tuple(grades), tuple(decisions), tuple(failed), errors)


@dataclass(frozen=True)
class CodedDecisions:
    """The decisions of many applications with their reasons as codes only, by position:
    what ``decide_many`` gives each (PD, score, grade, decision, and its reasons' codes and
    contributions in the same order, a failed rule's with ``None``), without texts,
    counteroffers or the full TreeSHAP. ``None`` and ``()`` where ``errors`` holds the
    ``FeatureInputError`` of an application that cannot be decided."""

    probability_of_default: list[float | None]
    credit_score: list[int | None]
    risk_grade: list[str | None]
    decision: list[str | None]
    reasons: list[tuple[ReasonCode, ...]]
    errors: dict[int, FeatureInputError]


def decide_codes(
    model: ScoringModel,
    applications: Sequence[Mapping[str, Any]],
    *,
    rule_set: RuleSet,
    on: date,
    schema: ApplicationSchema = INDONESIAN_SCHEMA,
) -> CodedDecisions:
    """``decide_many``'s rules, encoding, PD and TreeSHAP, then the decisions and the
    reasons' codes without their texts (``ReasonBuilder.codes``), for outputs that keep
    codes only (portfolio runs). An application that cannot be decided gets its
    ``FeatureInputError`` in ``errors`` (its first step's: rules, encoding, derived
    features, counteroffer); any other error is raised."""
    batch = _Batch(model, rule_set=rule_set, on=on, schema=schema)
    prepared = batch.prepare(applications, texts=False)
    scored = batch.score(prepared)
    errors: dict[int, Exception] = dict(prepared.errors)
    for i, failure in batch.plan.policy.counteroffers(prepared.policy)[1].items():
        errors.setdefault(i, failure)
    for error in errors.values():
        if not isinstance(error, FeatureInputError):
            raise error
    n = len(applications)
    result = CodedDecisions([None] * n, [None] * n, [None] * n, [None] * n, [()] * n, {})
    result.errors.update({i: e for i, e in errors.items() if isinstance(e, FeatureInputError)})
    rows = prepared.encoded.tolist()
    if scored is None or not rows:
        return result
    plan, policy = batch.plan, prepared.policy
    model_decisions = scored.model_decision
    if plan.thresholds is not None:  # the rule set's cut-offs, not the model's
        model_decisions = tuple(plan.thresholds.decisions(scored.probability_of_default))
    decisions = [
        _ruled_by(m, passed=passed, review=review)
        for m, passed, review in zip(
            model_decisions,
            policy.passed[prepared.encoded].tolist(),
            policy.review[prepared.encoded].tolist(),
            strict=True,
        )
    ]
    missing = np.array([[applications[i].get(g) is None for g in scored.groups] for i in rows])
    ruled = policy.reason_codes() if plan.rule_reasons else None
    codes = plan.reasons.codes(
        scored.contributions,
        missing=missing.reshape(len(rows), len(scored.groups)),
        decisions=decisions,
        rules=None if ruled is None else [ruled[i] for i in rows],
    )
    for i, pd_value, score, grade, decision, reasons in zip(
        rows,
        scored.probability_of_default.tolist(),
        scored.credit_score.tolist(),
        scored.risk_grade,
        decisions,
        codes,
        strict=True,
    ):
        if i in errors:
            continue
        result.probability_of_default[i] = pd_value
        result.credit_score[i] = score
        result.risk_grade[i] = grade
        result.decision[i] = decision.value
        result.reasons[i] = reasons
    return result


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
    order: for each application its ``Decision``, or the ``FeatureInputError`` that
    ``decide`` raises for it (the others are not affected).
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
            yield batch.compose(prepared, scored)
            if upcoming is None:
                return
            prepared = upcoming
    finally:
        worker.shutdown(wait=True, cancel_futures=True)


#: Name prefix of ``decide_stream``'s worker threads.
WORKER_NAME = "kreditax-decide"

#: How long ``_Batch.submit`` waits for the worker to take up a chunk (seconds).
_START_WAIT = 0.1


@dataclass(frozen=True)
class _Prepared:
    """One chunk read, judged by the rules and encoded: its ``records``, their ``policy``
    results, the ``derived`` features of the schema, and the ``model_input`` of the
    ``encoded`` rows (positions in the chunk). ``errors`` by position: the error of the
    first step that failed for an application (the rules, encoding, derived features);
    only the applications without one are encoded for the model."""

    records: Sequence[Mapping[str, Any]]
    policy: PolicyBatch
    derived: Mapping[str, FloatArray]
    encoded: npt.NDArray[np.intp]
    model_input: ModelInput | None
    errors: Mapping[int, Exception]


@dataclass(frozen=True)
class _Plan:
    """What deciding with an encoder, a rule set on a date and a schema needs, worked out
    once: the rules' evaluator and the reason builder (they cache results and texts), the
    inputs of the schema's derived features, every field read as a number, and whether the
    derived features the reasons quote are the model's own inputs (then derived once)."""

    policy: PolicyEvaluator
    reasons: ReasonBuilder
    derived_inputs: tuple[str, ...]
    numeric: tuple[str, ...]
    shared_derived: bool
    #: The rule set puts failed rules first among the reasons (``RuleSet.rule_reasons``).
    rule_reasons: bool
    #: The rule set's PD cut-offs (``RuleSet.pd_thresholds``); ``None``: the model's own.
    thresholds: DecisionThresholds | None = None

    @classmethod
    def make(
        cls,
        encoder: Encoder,
        rule_set: RuleSet,
        on: date,
        config: FeatureConfig,
        schema: ApplicationSchema,
    ) -> _Plan:
        policy = policy_evaluator(rule_set, on=on, feature_config=config, collected=schema.names)
        derived_inputs = tuple(
            dict.fromkeys(name for feature in schema.derived for name in feature.inputs)
        )
        numeric = (*encoder.number_fields, *policy.numeric_fields, *derived_inputs)
        return cls(
            policy=policy,
            reasons=reason_builder(tuple(dict.fromkeys(encoder.column_groups)), schema=schema),
            derived_inputs=derived_inputs,
            numeric=tuple(dict.fromkeys(numeric)),
            rule_reasons=rule_set.rule_reasons,
            thresholds=rule_set.pd_thresholds,
            shared_derived=bool(schema.derived)
            and set(encoder.derived_inputs) <= set(derived_inputs)
            and encoder.feature_config == config,
        )


_PLANS: IdentityMemo[_Plan] = IdentityMemo(8)


class _Batch:
    """What the chunks of one call share: the model, the schema and the plan."""

    def __init__(
        self, model: ScoringModel, *, rule_set: RuleSet, on: date, schema: ApplicationSchema
    ) -> None:
        self.model = model
        self.schema = schema
        self.config = config = model.manifest.feature_config
        encoder = model.encoder
        self.plan = _PLANS.get(
            (encoder, rule_set, schema),
            (on, config),
            lambda: _Plan.make(encoder, rule_set, on, config, schema),
        )

    def prepare(self, chunk: Sequence[Mapping[str, Any]], *, texts: bool = True) -> _Prepared:
        """Read a chunk, apply the rules, derive its features and encode it (``texts=False``:
        the rule results without their messages, for outputs that keep no texts)."""
        plan = self.plan
        columns, plain = record_columns(chunk, plan.numeric)
        policy = plan.policy.evaluate(chunk, columns=columns, plain=plain, texts=texts)
        derived, refused = self.derived(chunk, columns, plain)
        encoded, errors = self.model.encoder.encode_each(
            chunk, columns=columns, plain=plain, derived=derived if plan.shared_derived else None
        )
        # An application's error is its first step's: the rules, encoding, derived features.
        errors.update(policy.errors)
        for i, error in refused.items():
            errors.setdefault(i, error)
        rows = _without(errors, len(chunk))
        model_input = None
        if rows.size:
            model_input = self.model.model_input(
                encoded if rows.size == len(chunk) else encoded[rows]
            )
        return _Prepared(chunk, policy, derived, rows, model_input, errors)

    def derived(
        self,
        chunk: Sequence[Mapping[str, Any]],
        columns: Mapping[str, FloatArray],
        plain: BoolArray,
    ) -> tuple[dict[str, FloatArray], dict[int, Exception]]:
        """The schema's derived features of each application (reasons quote them), from its
        inputs as ``float`` reads them, and by position the error of an application whose
        inputs are no numbers or whose features cannot be derived."""
        if not self.schema.derived:
            return {}, {}
        inputs = {name: columns[name] for name in self.plan.derived_inputs}
        errors: dict[int, Exception] = {}
        odd = np.flatnonzero(~plain).tolist()
        if odd:
            inputs = {name: column.copy() for name, column in inputs.items()}
        for i in odd:
            values = chunk[i]
            for name, column in inputs.items():
                value = values.get(name)
                try:
                    column[i] = np.nan if value is None else float(value)
                except Exception as exc:  # what reading this application's value raises
                    errors[i] = exc
                    break
        derived, refused = derive_rows(inputs, self.config)
        for i, error in refused.items():
            errors.setdefault(i, error)
        return derived, errors

    def scored(
        self,
        chunk: Sequence[Mapping[str, Any]],
        columns: Mapping[str, FloatArray],
        plain: BoolArray,
    ) -> _Scored:
        """The model's PDs of a chunk read into ``columns`` (NaN where it cannot encode an
        application or derive its features), with those errors by position."""
        derived, refused = self.derived(chunk, columns, plain)
        encoded, encoding_errors = self.model.encoder.encode_each(
            chunk,
            columns=columns,
            plain=plain,
            derived=derived if self.plan.shared_derived else None,
        )
        n = len(chunk)
        rows = _without({**refused, **encoding_errors}, n)
        pds = np.full(n, np.nan)
        if rows.size:
            data = self.model.model_input(encoded if rows.size == n else encoded[rows])
            pds[rows] = self.model.probabilities(data).astype(np.float64)
        return encoding_errors, refused, pds

    def score(self, prepared: _Prepared) -> ScoredRows | None:
        """Predict and explain the encoded rows (may run in the worker thread)."""
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
        self, prepared: _Prepared, scored: ScoredRows | None
    ) -> list[Decision | FeatureInputError]:
        """The decisions of a chunk: the reasons and counteroffers of the applications that
        can be decided. An application that cannot gets its ``FeatureInputError`` in its
        place; any other error is raised (the first application's in chunk order). An
        application's error is that of the first of its steps that failed: the rules,
        encoding, derived features, counteroffer.
        """
        errors = dict(prepared.errors)
        offers, failed = self.plan.policy.counteroffers(prepared.policy)
        composed = self._composed(prepared, scored, offers)
        for i, failure in failed.items():
            errors.setdefault(i, failure)
        items: list[Decision | FeatureInputError] = []
        for i in range(len(prepared.records)):
            error = errors.get(i)
            if error is None:
                items.append(composed[i])
            elif isinstance(error, FeatureInputError):
                items.append(error)
            else:
                raise error
        return items

    def _composed(
        self,
        prepared: _Prepared,
        scored: ScoredRows | None,
        offers: Sequence[Counteroffer | None],
    ) -> dict[int, Decision]:
        """The decision of each encoded application by position (scored row ``k`` is
        application ``prepared.encoded[k]``)."""
        rows = prepared.encoded.tolist()
        if not rows:
            return {}
        assert scored is not None
        outcomes = [prepared.policy.outcomes[i] for i in rows]
        model_decisions = scored.model_decision
        if self.plan.thresholds is not None:  # the rule set's cut-offs, not the model's
            model_decisions = tuple(self.plan.thresholds.decisions(scored.probability_of_default))
        decisions = [
            _ruled(model_decision, outcome)
            for model_decision, outcome in zip(model_decisions, outcomes, strict=True)
        ]
        derived = _rows_of(prepared.derived, rows)
        reasons = self.plan.reasons.build(
            scored.contributions,
            values=[prepared.records[i] for i in rows],
            derived=derived,
            decisions=decisions,
            policies=outcomes if self.plan.rule_reasons else None,
        )
        groups = scored.groups
        composed: dict[int, Decision] = {}
        for k, (i, outcome, pd_value, score, base_value, margin, contributions) in enumerate(
            zip(
                rows,
                outcomes,
                scored.probability_of_default.tolist(),
                scored.credit_score.tolist(),
                scored.base_value.tolist(),
                scored.margin.tolist(),
                scored.contributions.tolist(),
                strict=True,
            )
        ):
            assert outcome is not None  # an application the rules refused was not encoded
            composed[i] = Decision(
                probability_of_default=pd_value,
                credit_score=score,
                risk_grade=scored.risk_grade[k],
                decision=decisions[k],
                model_decision=model_decisions[k],
                reasons=reasons[k],
                policy=outcome,
                counteroffer=offers[i],
                base_value=base_value,
                margin=margin,
                contributions=dict(zip(groups, contributions, strict=True)),
                derived=derived[k],
            )
        return composed


def _ruled(model_decision: Outcome, outcome: PolicyOutcome | None) -> Outcome:
    """The model's decision after the rules: REJECT when a rule failed, at least REVIEW
    when a rule could not be checked and the rule set says so (``PolicyOutcome.review``)."""
    if outcome is None:
        return Outcome.REJECT
    return _ruled_by(model_decision, passed=outcome.passed, review=outcome.review)


def _ruled_by(model_decision: Outcome, *, passed: bool, review: bool) -> Outcome:
    """``_ruled`` of an outcome that ``passed`` (``PolicyOutcome.passed``) and asks for
    ``review`` or not (``PolicyOutcome.review``), as ``PolicyBatch`` gives them."""
    if not passed:
        return Outcome.REJECT
    if review and model_decision == Outcome.APPROVE:
        return Outcome.REVIEW
    return model_decision


def _without(errors: Mapping[int, Exception], n: int) -> npt.NDArray[np.intp]:
    """The positions 0..n-1 that have no error."""
    if not errors:
        return np.arange(n, dtype=np.intp)
    keep = np.ones(n, dtype=np.bool_)
    keep[list(errors)] = False
    return np.flatnonzero(keep)


def _rows_of(columns: Mapping[str, FloatArray], rows: list[int]) -> list[dict[str, float]]:
    """Each of ``rows`` as a dict of its values in ``columns`` (Python floats)."""
    if not columns:
        return [{} for _ in rows]
    names = tuple(columns)
    every = len(rows) == len(next(iter(columns.values())))  # usually: no row has an error
    lists = (column.tolist() if every else column[rows].tolist() for column in columns.values())
    return [dict(zip(names, row, strict=True)) for row in zip(*lists, strict=True)]
