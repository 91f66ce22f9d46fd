"""Scoring services: validate, decide with the champion, record, answer.

The answer leaves only after the decision's audit record is committed; if the record
cannot be written the caller gets ``RecordNotWritten`` and no decision. Services return
domain results and raise the domain errors of ``scoring.errors``: HTTP status codes belong
to the API layer.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError, transaction
from django.utils import timezone

from audit.models import DecisionRecord
from audit.services import RecordedDecision, decision_records_create, decision_records_writer
from credit_ml import charts
from credit_ml.decision import Decision, decide, decide_stream
from credit_ml.features import FeatureInputError
from credit_ml.messages import localise
from credit_ml.policy import RuleSet as PolicyRuleSet
from credit_ml.scaling import DecisionThresholds
from credit_ml.schema import ApplicationSchema, ValidationFailed, validate_record
from credit_ml.scoring import ShadowDict
from credit_ml.shadow import shadow_output, shadow_outputs
from registry import metrics, model_cache
from registry.models import ApiClient, RuleSet
from registry.selectors import (
    model_version_schema,
    rule_set_latest,
    rule_set_of_client,
    rule_set_policy,
)
from scoring import presenters
from scoring.errors import (
    ChampionUnloadable,
    Forbidden,
    IdempotencyKeyReused,
    InvalidInput,
    NoChampion,
    NotFound,
    RecordNotWritten,
)
from scoring.models import IdempotencyRecord

logger = logging.getLogger(__name__)

USER_RULE_SET = "fintech"


class Endpoint(StrEnum):
    PREDICT = "predict"
    EXPLAIN = "explain"
    BATCH = "batch"


@dataclass(frozen=True)
class Actor:
    """Who asks: a loan system's key or a signed-in user, and the rule set they decide under."""

    client: ApiClient | None
    user_id: int | None
    name: str
    owner: str
    rule_set: RuleSet
    can_view_audit: bool = False


@dataclass(frozen=True)
class ScoringResult:
    """The answer to a scoring call: one decision's body (``/predict``, ``/explain``) or the
    batch's body with its per-item results, and whether it is the first answer to the same
    ``Idempotency-Key`` given again (nothing new was decided or recorded)."""

    body: dict[str, Any]
    replayed: bool = False


@dataclass(frozen=True)
class IdempotencyKey:
    """An ``Idempotency-Key`` as stored: its keyed digest, never the key, per owner, with the
    SHA-256 of the canonical body and the endpoint it was first used on."""

    owner: str
    digest: str
    body_sha256: str
    endpoint: Endpoint


@dataclass(frozen=True)
class _Scored:
    request_id: uuid.UUID
    values: Mapping[str, Any]
    decision: Decision
    shadow: ShadowDict | None = None


def decision_date() -> date:
    """The date a decision is made on: today in the service's time zone (Asia/Jakarta).

    The rules in force on this date apply. Tests freeze it by replacing this function.
    """
    return timezone.localdate()


def actor_of(*, client: ApiClient | None, user: Any) -> Actor:
    """``user`` is ``request.user``: a user model instance or ``AnonymousUser``."""
    if client is not None:
        return Actor(
            client=client,
            user_id=None,
            name=client.name,
            owner=f"client:{client.prefix}",
            # The version in force today: a published successor takes over on its date.
            rule_set=rule_set_of_client(client=client, on=decision_date()),
        )
    return Actor(
        client=None,
        user_id=user.pk,
        name=f"user:{user.get_username()}",
        owner=f"user:{user.pk}",
        rule_set=rule_set_latest(name=USER_RULE_SET, on=decision_date()),
        can_view_audit=user.has_perm("audit.view_decisionrecord"),
    )


# --------------------------------------------------------------------------------------
# Validation and idempotency
# --------------------------------------------------------------------------------------


def application_validate(
    payload: Any, *, schema: ApplicationSchema, lang: str = "en"
) -> dict[str, Any]:
    """The cleaned application; ``InvalidInput`` with the messages in ``lang`` ("en"/"id")."""
    if not isinstance(payload, Mapping):
        raise InvalidInput(
            localise("The body must be a JSON object.", lang),
            fields={"non_field_errors": [localise("Expected a JSON object.", lang)]},
        )
    try:
        return validate_record(schema, payload, today=decision_date(), lang=lang)
    except ValidationFailed as exc:
        message = localise("The application is invalid.", lang)
        raise InvalidInput(message, fields=exc.errors) from None


def _body_sha256(payload: Any) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _key_digest(key: str) -> str:
    secret = settings.KREDITAX_PII_KEY.encode("utf-8")
    return hmac.new(secret, f"idem:{key}".encode(), hashlib.sha256).hexdigest()


def _idempotency_key_of(
    *, key: str | None, payload: Any, actor: Actor, endpoint: Endpoint
) -> IdempotencyKey | None:
    if not key:
        return None
    return IdempotencyKey(
        owner=actor.owner,
        digest=_key_digest(key),
        body_sha256=_body_sha256(payload),
        endpoint=endpoint,
    )


def _stored(key: IdempotencyKey) -> IdempotencyRecord | None:
    """The first response to ``key``; ``IdempotencyKeyReused`` if it answered another body."""
    stored = IdempotencyRecord.objects.filter(owner=key.owner, key_digest=key.digest).first()
    if stored is None:
        return None
    if stored.body_sha256 != key.body_sha256 or stored.endpoint != key.endpoint:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was used with another request body.",
            fields={"Idempotency-Key": ["Already used with a different body or endpoint."]},
        )
    return stored


def _idempotency_record_create(*, key: IdempotencyKey, body: dict[str, Any]) -> None:
    """Store the first answer to ``key`` (without the echoed application ids).

    The only write of an idempotency record. Called inside the transaction that inserts the
    decisions' audit records, so both commit or neither; when a concurrent request with the
    same key committed first, the unique constraint makes this insert fail with
    ``IntegrityError`` (on PostgreSQL after waiting for that commit) and ``_idempotent``
    answers with the stored response.
    """
    IdempotencyRecord.objects.create(
        owner=key.owner,
        key_digest=key.digest,
        body_sha256=key.body_sha256,
        endpoint=key.endpoint,
        response=_without_application_ids(body),
    )


def _with_application_ids(body: dict[str, Any], payload: Any) -> dict[str, Any]:
    """Put the echoed ``application_id`` back: the stored copy never keeps it."""
    restored: dict[str, Any] = json.loads(json.dumps(body))
    if "results" in restored:
        items = payload.get("applications", []) if isinstance(payload, Mapping) else []
        for result in restored["results"]:
            index = result.get("index")
            if isinstance(index, int) and index < len(items) and isinstance(items[index], Mapping):
                result["application_id"] = items[index].get("application_id")
    elif isinstance(payload, Mapping):
        restored["application_id"] = payload.get("application_id")
    return restored


def _without_application_ids(body: dict[str, Any]) -> dict[str, Any]:
    stripped: dict[str, Any] = json.loads(json.dumps(body))
    for item in stripped.get("results", [stripped]):
        item.pop("application_id", None)
    return stripped


# --------------------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------------------


def _serving() -> model_cache.Serving:
    try:
        return model_cache.serving()
    except model_cache.NoChampion:
        raise NoChampion("No champion model is available.") from None
    except (OperationalError, InterfaceError):
        raise  # the database is down, not the model: the API answers database_unavailable
    except Exception:
        logger.exception("The champion model could not be loaded")
        raise ChampionUnloadable("The champion model could not be loaded.") from None


def _shadow(
    challenger: model_cache.LoadedModel | None, values: Mapping[str, Any]
) -> ShadowDict | None:
    """The challenger's shadow result: recorded with the decision, never returned."""
    if challenger is None:
        return None
    return shadow_output(label=challenger.version.label, model=challenger.model, values=values)


def _shadows(
    challenger: model_cache.LoadedModel | None, values: Sequence[Mapping[str, Any]]
) -> list[ShadowDict | None]:
    """The challenger's shadow results for many applications (one prediction call)."""
    if challenger is None:
        return [None] * len(values)
    return shadow_outputs(label=challenger.version.label, model=challenger.model, values=values)


def _recorded(
    scored: _Scored,
    *,
    actor: Actor,
    loaded: model_cache.LoadedModel,
    endpoint: Endpoint,
    now: datetime,
    key_digest: str,
    body: Mapping[str, Any],
    cut_offs: DecisionThresholds | None,
    attributions: Mapping[str, Any] | None = None,
) -> RecordedDecision:
    """The audit record of a decision; ``body`` is its response body, whose reasons, rules
    and counteroffer the record keeps as they were answered. ``cut_offs``: the rule set's
    PD cut-offs that decided it (``RuleSet.pd_thresholds``), None when the model's did;
    the record's thresholds are the ones that decided."""
    decision = scored.decision
    return RecordedDecision(
        request_id=scored.request_id,
        created_at=now,
        decision_date=decision.policy.decision_date,
        endpoint=endpoint,
        client_id=actor.client.pk if actor.client else None,
        user_id=actor.user_id,
        actor_name=actor.name,
        model_version_id=loaded.version.pk,
        model_label=loaded.version.label,
        rule_set_version=decision.policy.rule_set_version,
        decision=decision.decision,
        probability_of_default=decision.probability_of_default,
        credit_score=decision.credit_score,
        risk_grade=decision.risk_grade,
        thresholds=presenters.thresholds_body(loaded.model, cut_offs),
        reasons=body["reasons"],
        policy=body["policy"]["rules"],
        failed_rules=list(decision.failed_rules),
        attributions=attributions or presenters.attribution_body(decision),
        counteroffer=body["counteroffer"],
        shadow=scored.shadow,
        idempotency_key_digest=key_digest,
        application=scored.values,
        identity_fields=loaded.model.schema.identity_fields,
    )


def _commit(*, record: RecordedDecision, key: IdempotencyKey | None, body: dict[str, Any]) -> None:
    """Write a decision's audit record (and the idempotency record) in one transaction.

    Without an idempotency key the record is one INSERT statement, committed on its own
    (autocommit): one round trip to the database instead of three.
    """
    if key is None and transaction.get_autocommit():
        decision_records_create(decisions=[record])
        return
    with transaction.atomic():
        decision_records_create(decisions=[record])
        if key is not None:
            _idempotency_record_create(key=key, body=body)


def _replayed(stored: IdempotencyRecord, payload: Any) -> ScoringResult:
    metrics.IDEMPOTENT_REPLAYS.inc()
    return ScoringResult(body=_with_application_ids(stored.response, payload), replayed=True)


def _idempotent(
    *, payload: Any, key: IdempotencyKey | None, compute: Callable[[], ScoringResult]
) -> ScoringResult:
    """Replay a stored answer, refuse a reused key, or compute (and store) a new one."""
    stored = _stored(key) if key is not None else None
    if stored is not None:
        return _replayed(stored, payload)
    try:
        return compute()
    except IntegrityError:
        # A concurrent request with the same key committed first: answer as it did.
        stored = _stored(key) if key is not None else None
        if stored is None:
            logger.exception("Audit record insert failed")
            metrics.AUDIT_WRITE_FAILURES.inc()
            raise RecordNotWritten("The decision could not be recorded.") from None
        return _replayed(stored, payload)
    except DatabaseError:
        logger.exception("Audit record insert failed")
        metrics.AUDIT_WRITE_FAILURES.inc()
        raise RecordNotWritten("The decision could not be recorded.") from None


def _decide_one(
    values: Mapping[str, Any],
    *,
    loaded: model_cache.LoadedModel,
    rule_set: PolicyRuleSet,
    lang: str,
) -> Decision:
    try:
        return decide(
            loaded.model,
            values,
            rule_set=rule_set,
            on=decision_date(),
            schema=loaded.model.schema,
        )
    except FeatureInputError as exc:
        raise InvalidInput(
            localise("The application is invalid.", lang),
            fields={exc.field: [localise(exc.message, lang)]},
        ) from None


def application_score(
    *,
    payload: Any,
    actor: Actor,
    endpoint: Endpoint,
    idempotency_key: str | None,
    request_id: uuid.UUID | None = None,
    lang: str = "en",
) -> ScoringResult:
    """Decide one application with the champion and record it before answering.

    The application is validated against the champion's schema (its lender's spec, or the
    built-in one), so the champion is looked up first. ``request_id`` becomes the decision's
    id (in the body, the audit record and the waterfall URL); a new UUID4 when omitted.
    """
    key = _idempotency_key_of(key=idempotency_key, payload=payload, actor=actor, endpoint=endpoint)

    def compute() -> ScoringResult:
        serving = _serving()
        loaded = serving.champion
        values = application_validate(payload, schema=loaded.model.schema, lang=lang)
        rule_set = rule_set_policy(rule_set=actor.rule_set)
        decision = _decide_one(values, loaded=loaded, rule_set=rule_set, lang=lang)
        now = timezone.now()
        scored = _Scored(
            request_id=request_id or uuid.uuid4(),
            values=values,
            decision=decision,
            shadow=_shadow(serving.challenger, values),
        )
        body = presenters.decision_body(
            decision,
            request_id=scored.request_id,
            application_id=values.get("application_id"),
            model=loaded.model,
            rule_set_version=decision.policy.rule_set_version,
            scored_at=now,
        )
        attributions = presenters.attribution_body(decision)
        if endpoint == Endpoint.EXPLAIN:
            body["explanation"] = {
                **attributions,
                "waterfall_url": presenters.waterfall_path(scored.request_id),
            }
        record = _recorded(
            scored,
            actor=actor,
            loaded=loaded,
            endpoint=endpoint,
            now=now,
            key_digest=key.digest if key else "",
            body=body,
            cut_offs=rule_set.pd_thresholds,
            attributions=attributions,
        )
        _commit(record=record, key=key, body=body)
        logger.info(
            "Decision %s recorded: %s by %s under %s",
            scored.request_id,
            decision.decision,
            loaded.version.label,
            decision.policy.rule_set_version,
        )
        return ScoringResult(body=body)

    return _idempotent(payload=payload, key=key, compute=compute)


# --------------------------------------------------------------------------------------
# Batch
# --------------------------------------------------------------------------------------


def _batch_items(payload: Any) -> list[Any]:
    limit = settings.KREDITAX_MAX_BATCH_ITEMS
    if not isinstance(payload, Mapping) or set(payload) != {"applications"}:
        raise InvalidInput(
            "The body must be an object with one key, applications.",
            fields={"applications": ['Expected {"applications": [ ... ]}.']},
        )
    items = payload["applications"]
    if not isinstance(items, list) or not 1 <= len(items) <= limit:
        raise InvalidInput(
            "The batch is invalid.",
            fields={"applications": [f"Must be a list of 1 to {limit} applications."]},
        )
    return items


class _ValidItems:
    """The valid items of a batch, validated lazily as the decision stream pulls them.

    Validation of the next chunk thus runs while the model explains the previous one.
    Invalid items are collected in ``errors`` and never reach the model.
    """

    def __init__(self, items: Sequence[Any], *, schema: ApplicationSchema, lang: str) -> None:
        self.items = items
        self.schema = schema
        self.lang = lang
        self.indexes: list[int] = []
        self.values: list[dict[str, Any]] = []
        self.errors: dict[int, dict[str, list[str]]] = {}

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for index, item in enumerate(self.items):
            try:
                values = application_validate(item, schema=self.schema, lang=self.lang)
            except InvalidInput as exc:
                self.errors[index] = exc.fields
                continue
            self.indexes.append(index)
            self.values.append(values)
            yield values


def _error_item(index: int, fields: Mapping[str, list[str]], application_id: Any) -> dict[str, Any]:
    return {
        "index": index,
        "status": "invalid",
        "application_id": application_id if isinstance(application_id, str) else None,
        "error": {
            "code": "invalid",
            "message": "The application is invalid.",
            "fields": dict(fields),
        },
    }


def applications_score_batch(
    *, payload: Any, actor: Actor, idempotency_key: str | None, lang: str = "en"
) -> ScoringResult:
    """Validate each item on its own, decide the valid ones in chunks, record, answer in order.

    A pipeline: while the model explains one chunk of valid items (XGBoost's TreeSHAP runs
    without the GIL), this thread validates the next items and builds and inserts the
    previous chunk's records and results. Everything commits in one transaction.
    """
    items = _batch_items(payload)
    key = _idempotency_key_of(
        key=idempotency_key, payload=payload, actor=actor, endpoint=Endpoint.BATCH
    )

    def compute() -> ScoringResult:
        serving = _serving()
        loaded = serving.champion
        rule_set = rule_set_policy(rule_set=actor.rule_set)
        valid = _ValidItems(items, schema=loaded.model.schema, lang=lang)
        now = timezone.now()
        scored_at = presenters.scored_at_text(now)  # once: every item shares it
        results: list[dict[str, Any] | None] = [None] * len(items)
        taken = 0  # valid items decided so far: the position of the next chunk's first
        with transaction.atomic():
            stream = decide_stream(
                loaded.model,
                valid,
                rule_set=rule_set,
                on=decision_date(),
                schema=loaded.model.schema,
                chunk_size=BATCH_CHUNK,
            )
            # closing: a failed insert stops the model's worker thread at once.
            with closing(stream), decision_records_writer() as writer:
                for chunk in stream:
                    records = _batch_chunk(
                        chunk,
                        positions=range(taken, taken + len(chunk)),
                        valid=valid,
                        results=results,
                        serving=serving,
                        actor=actor,
                        now=now,
                        scored_at=scored_at,
                        key_digest=key.digest if key else "",
                        cut_offs=rule_set.pd_thresholds,
                    )
                    taken += len(chunk)
                    writer.write(records)
            for index, fields in valid.errors.items():
                item = items[index]
                app_id = item.get("application_id") if isinstance(item, Mapping) else None
                results[index] = _error_item(index, fields, app_id)
            recorded = sum(1 for r in results if r is not None and r["status"] == "scored")
            body = {
                "model_version": loaded.model.label,
                "count": len(items),
                "scored": recorded,
                "invalid": len(items) - recorded,
                "results": results,
            }
            if key is not None:
                _idempotency_record_create(key=key, body=body)
        logger.info(
            "Batch recorded: %d decisions by %s, %d invalid items",
            recorded,
            loaded.version.label,
            len(items) - recorded,
        )
        return ScoringResult(body=body)

    return _idempotent(payload=payload, key=key, compute=compute)


#: Applications per chunk of the batch pipeline: small enough that the first chunk's
#: explanation starts early, large enough that XGBoost's per-call cost is amortised.
BATCH_CHUNK = 100


def _batch_chunk(
    chunk: Sequence[Decision | FeatureInputError],
    *,
    positions: range,
    valid: _ValidItems,
    results: list[dict[str, Any] | None],
    serving: model_cache.Serving,
    actor: Actor,
    now: datetime,
    scored_at: str,
    key_digest: str,
    cut_offs: DecisionThresholds | None,
) -> list[RecordedDecision]:
    """Fill ``results`` for one decided chunk; return the audit records to insert."""
    loaded = serving.champion
    values = [valid.values[p] for p in positions]
    shadows = _shadows(serving.challenger, values)
    records: list[RecordedDecision] = []
    for position, outcome, shadow in zip(positions, chunk, shadows, strict=True):
        index = valid.indexes[position]
        if isinstance(outcome, FeatureInputError):
            valid.errors[index] = {outcome.field: [localise(outcome.message, valid.lang)]}
            continue
        scored = _Scored(
            request_id=uuid.uuid4(),
            values=values[position - positions.start],
            decision=outcome,
            shadow=shadow,
        )
        body = presenters.decision_body(
            outcome,
            request_id=scored.request_id,
            application_id=scored.values.get("application_id"),
            model=loaded.model,
            rule_set_version=outcome.policy.rule_set_version,
            scored_at=scored_at,
        )
        results[index] = {"index": index, "status": "scored", **body}
        records.append(
            _recorded(
                scored,
                actor=actor,
                loaded=loaded,
                endpoint=Endpoint.BATCH,
                now=now,
                key_digest=key_digest,
                body=body,
                cut_offs=cut_offs,
            )
        )
    return records


# --------------------------------------------------------------------------------------
# Explanations
# --------------------------------------------------------------------------------------


def decision_waterfall_svg(*, request_id: str, actor: Actor) -> str:
    """The waterfall chart of a recorded decision, for its own client or an audit reviewer."""
    record = DecisionRecord.objects.filter(request_id=request_id).first()
    if record is None:
        raise NotFound("No decision with this request id.")
    own = actor.client is not None and record.client_id == actor.client.pk
    own = own or (actor.user_id is not None and record.user_id == actor.user_id)
    if not (own or actor.can_view_audit):
        raise Forbidden("This decision belongs to another client.")
    return charts.waterfall_svg(
        record.attributions, schema=model_version_schema(version=record.model_version)
    )


def idempotency_records_prune(*, now: datetime | None = None) -> int:
    """Forget idempotency records older than ``KREDITAX_IDEMPOTENCY_DAYS``; returns how many.

    A replay needs the stored response only while a loan system may retry; the decision
    itself stays in the audit trail.
    """
    cutoff = (now or timezone.now()) - timedelta(days=settings.KREDITAX_IDEMPOTENCY_DAYS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
