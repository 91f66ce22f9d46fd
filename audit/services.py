"""Writing decision records, before the response leaves.

``decision_records_create`` never opens a transaction of its own: the caller decides. One
decision written outside any transaction is a single autocommitted INSERT (one round trip);
a batch, or a decision stored with its idempotency record, is written inside the caller's
``transaction.atomic()``. Each chunk of records is one multi-row INSERT.

Building a record serialises each JSON value once, as canonical JSON (sorted keys, no
whitespace): that text is what is stored, and ``content_hash`` is assembled from the same
pieces, byte for byte what ``content_hash`` computes from the row read back.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import json.encoder
import math
import uuid
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol, cast

from django.conf import settings
from django.contrib.auth.models import User
from django.db import connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from audit import crypto
from audit.masking import identity_digests, masked_application
from audit.models import DecisionRecord, PortfolioRunRecord
from credit_ml.policy import CounterofferDict, RuleResultDict
from credit_ml.reasons import ReasonDict
from credit_ml.scoring import ShadowDict
from registry import metrics
from registry.models import ModelVersion, RuleSet

#: Fields hashed into ``content_hash``, in this order. Adding one is a new hash version.
HASHED_FIELDS = (
    "request_id",
    "created_at",
    "decision_date",
    "endpoint",
    "client_name",
    "model_label",
    "rule_set_version",
    "decision",
    "probability_of_default",
    "credit_score",
    "risk_grade",
    "thresholds",
    "reasons",
    "policy",
    "failed_rules",
    "attributions",
    "counteroffer",
    "shadow",
    "idempotency_key_digest",
    "application_masked",
    "application_ref_digest",
    "nik_digest",
    "phone_digest",
    "email_digest",
    "pii_key_id",
    "inputs_encrypted",
    "inputs_key_id",
)

#: The canonical JSON of ``content_hash`` and of the stored JSON values.
_encode = crypto.canonical_json
_quote = json.encoder.encode_basestring_ascii

#: Every column but ``id``, in the model's field order (checked once, see ``_table``).
_FIELDS = (
    "request_id",
    "created_at",
    "decision_date",
    "endpoint",
    "client_id",
    "client_name",
    "user_id",
    "model_version_id",
    "model_label",
    "rule_set_version",
    "decision",
    "probability_of_default",
    "credit_score",
    "risk_grade",
    "thresholds",
    "reasons",
    "policy",
    "failed_rules",
    "attributions",
    "counteroffer",
    "shadow",
    "idempotency_key_digest",
    "application_masked",
    "application_ref_digest",
    "nik_digest",
    "phone_digest",
    "email_digest",
    "pii_key_id",
    "inputs_encrypted",
    "inputs_key_id",
    "content_hash",
)
_JSON_FIELDS = (
    "thresholds",
    "reasons",
    "policy",
    "failed_rules",
    "attributions",
    "counteroffer",
    "shadow",
    "application_masked",
)
_JSON_INDEXES = tuple(_FIELDS.index(name) for name in _JSON_FIELDS)
if _JSON_FIELDS[0] != "thresholds":  # pragma: no cover - _built encodes it first, once
    raise RuntimeError("_built expects thresholds first among the JSON fields.")
#: Hashed fields this module writes itself, as hex digests, key ids or a Fernet token (all
#: ASCII letters, digits, "-", "_" and "="), so their JSON is the text between quotes.
_PLAIN_FIELDS = (
    "application_ref_digest",
    "nik_digest",
    "phone_digest",
    "email_digest",
    "pii_key_id",
    "inputs_encrypted",
    "inputs_key_id",
)
_HASHED_PLAIN = tuple((name, _FIELDS.index(name)) for name in _PLAIN_FIELDS)
#: The other hashed fields that are not JSON values, with their place in a row.
_HASHED_SCALARS = tuple(
    (name, _FIELDS.index(name))
    for name in HASHED_FIELDS
    if name not in _JSON_FIELDS and name not in _PLAIN_FIELDS
)
#: ``"name":`` and the name of each hashed field, in the canonical (sorted) order.
_HASH_ORDER = tuple((f"{_quote(name)}:", name) for name in sorted(HASHED_FIELDS))
#: Rows per INSERT statement (fewer where the database limits the parameters).
CHUNK_SIZE = 500


def pii_key_id() -> str:
    """A short, non-secret identifier of the PII HMAC key in use (for rotation)."""
    return _pii_key_id(settings.KREDITAX_PII_KEY)


@functools.lru_cache(maxsize=8)
def _pii_key_id(key: str) -> str:
    return hashlib.sha256(f"kid:{key}".encode()).hexdigest()[:12]


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, (date, uuid.UUID)):
        return str(value)
    return value


def record_content(record: DecisionRecord) -> dict[str, Any]:
    return {name: _canonical(getattr(record, name)) for name in HASHED_FIELDS}


def content_hash(record: DecisionRecord) -> str:
    """SHA-256 of the record's canonical JSON (sorted keys, no whitespace)."""
    payload = _encode(record_content(record))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class RecordedDecision:
    """What the scoring layer hands to the audit trail for one decision."""

    request_id: uuid.UUID
    created_at: datetime
    decision_date: date
    endpoint: str
    client_id: str | None
    user_id: int | None
    actor_name: str
    model_version_id: int
    model_label: str
    rule_set_version: str
    decision: str
    probability_of_default: float
    credit_score: int
    risk_grade: str
    thresholds: Mapping[str, Any]
    reasons: list[ReasonDict]
    policy: list[RuleResultDict]
    failed_rules: list[str]
    attributions: Mapping[str, Any]
    counteroffer: CounterofferDict | None
    shadow: ShadowDict | None
    idempotency_key_digest: str
    application: Mapping[str, Any]
    identity_fields: tuple[str, ...]


def _model_inputs(
    application: Mapping[str, Any], identity_fields: tuple[str, ...]
) -> dict[str, Any]:
    identity = _as_set(tuple(identity_fields))
    return {k: v for k, v in application.items() if k not in identity}


@functools.lru_cache(maxsize=32)
def _as_set(names: tuple[str, ...]) -> frozenset[str]:
    return frozenset(names)


@dataclass(frozen=True)
class _Keys:
    """The key material of one batch, read from the settings once."""

    pii_key: str
    pii_key_id: str
    cipher: crypto.Cipher

    @classmethod
    def current(cls) -> _Keys:
        return cls(settings.KREDITAX_PII_KEY, pii_key_id(), crypto.cipher())


def _scalar(value: Any) -> str:
    """The canonical JSON of a hashed value that is not a JSON field (as ``_encode`` would
    write it, with fast paths for the common exact types)."""
    kind = type(value)
    if isinstance(value, str):  # str subclasses (the endpoint's StrEnum) encode as str
        return _quote(value)
    if kind is datetime:
        return _quote(value.astimezone(UTC).isoformat())
    if kind is date or kind is uuid.UUID:
        return _quote(str(value))
    if kind is float and math.isfinite(value):
        return float.__repr__(value)
    if kind is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    return _encode(_canonical(value))


#: A built record: its values in ``_FIELDS`` order (``content_hash`` last, filled in) and
#: the canonical JSON text of each JSON field in ``_JSON_FIELDS`` order (``None`` for null).
_Built = tuple[list[Any], list[str | None]]


#: Canonical JSON already written during one ``decision_records_prepare``, by the id of the
#: object it encodes (kept with it, so the id cannot be reused): the batch's records share
#: one thresholds mapping (``scoring.presenters.thresholds_body``).
_Memo = dict[int, tuple[Any, str]]


def _encoded_once(source: Any, value: Any, memo: _Memo | None) -> str:
    """``_encode(value)``, where ``value`` is a copy of ``source``: once per ``source``."""
    if memo is None:
        return _encode(value)
    known = memo.get(id(source))
    if known is None or known[0] is not source:
        known = memo[id(source)] = (source, _encode(value))
    return known[1]


def _built(decision: RecordedDecision, keys: _Keys, memo: _Memo | None = None) -> _Built:
    """Mask, digest, encrypt and serialise one decision, and hash it: each JSON value is
    encoded once, for the row and for the hash payload alike (the thresholds once per
    ``memo``)."""
    d = decision
    created_at = d.created_at
    if created_at.utcoffset() is None:
        raise ValueError("A decision record's created_at must be timezone-aware.")
    application = d.application
    identity_fields = d.identity_fields
    digests = identity_digests(application, key=keys.pii_key)
    counteroffer = dict(d.counteroffer) if d.counteroffer else None
    shadow = dict(d.shadow) if d.shadow else None
    row: list[Any] = [
        d.request_id,
        created_at,
        d.decision_date,
        d.endpoint,
        d.client_id,
        d.actor_name,
        d.user_id,
        d.model_version_id,
        d.model_label,
        d.rule_set_version,
        d.decision,
        d.probability_of_default,
        d.credit_score,
        d.risk_grade,
        dict(d.thresholds),
        d.reasons,
        d.policy,
        d.failed_rules,
        dict(d.attributions),
        counteroffer,
        shadow,
        d.idempotency_key_digest,
        masked_application(application, identity_fields=identity_fields),
        digests.get("application_id", ""),
        digests.get("nik", ""),
        digests.get("phone", ""),
        digests.get("email", ""),
        keys.pii_key_id,
        keys.cipher.encrypt(_model_inputs(application, identity_fields)),
        keys.cipher.key_id,
        "",
    ]
    texts = [None if row[i] is None else _encode(row[i]) for i in _JSON_INDEXES[1:]]
    texts.insert(0, _encoded_once(d.thresholds, row[_JSON_INDEXES[0]], memo))
    pieces = dict(zip(_JSON_FIELDS, [t or "null" for t in texts], strict=True))
    for name, index in _HASHED_SCALARS:
        pieces[name] = _scalar(row[index])
    for name, index in _HASHED_PLAIN:  # hex and base64url: nothing to escape
        pieces[name] = f'"{row[index]}"'
    payload = "{" + ",".join([key + pieces[name] for key, name in _HASH_ORDER]) + "}"
    row[-1] = hashlib.sha256(payload.encode("utf-8")).hexdigest()
    return row, texts


def decision_record_build(*, decision: RecordedDecision) -> DecisionRecord:
    """An unsaved, fully masked and hashed record for ``decision``."""
    row, _ = _built(decision, _Keys.current())
    return DecisionRecord(**dict(zip(_FIELDS, row, strict=True)))


@dataclass(frozen=True)
class _Table:
    """The INSERT of the decision records on one database."""

    head: str
    row: str
    returning: str
    chunk_size: int
    native_uuid: bool


@functools.lru_cache(maxsize=4)
def _table(alias: str) -> _Table:
    connection = connections[alias]
    meta = DecisionRecord._meta
    pk, *fields = meta.concrete_fields
    if (pk.attname, *(field.attname for field in fields)) != ("id", *_FIELDS):
        raise RuntimeError("audit.services._FIELDS no longer matches DecisionRecord's fields.")
    quote = connection.ops.quote_name
    # A concrete field always has a column (the stubs allow None for the unattached field).
    columns = ", ".join(quote(cast(str, field.column)) for field in fields)
    limit = connection.features.max_query_params
    return _Table(
        head=f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ",  # noqa: S608
        row="(" + ", ".join(["%s"] * len(_FIELDS)) + ")",
        returning=f" RETURNING {quote(cast(str, pk.column))}",
        chunk_size=min(CHUNK_SIZE, limit // len(_FIELDS)) if limit else CHUNK_SIZE,
        native_uuid=connection.features.has_native_uuid_field,
    )


def _params(built: _Built, table: _Table, db: BaseDatabaseWrapper) -> list[Any]:
    """The INSERT parameters of one record, in ``_FIELDS`` order."""
    row, texts = built
    params = row.copy()
    request_id: uuid.UUID = row[0]
    params[0] = str(request_id) if table.native_uuid else request_id.hex
    params[1] = db.ops.adapt_datetimefield_value(row[1])
    params[2] = db.ops.adapt_datefield_value(row[2])
    for index, text in zip(_JSON_INDEXES, texts, strict=True):
        params[index] = text
    return params


@dataclass(frozen=True)
class PreparedRecords:
    """Decision records masked, encrypted and hashed, ready for ``decision_records_insert``."""

    alias: str
    built: list[_Built]


def decision_records_prepare(*, decisions: list[RecordedDecision]) -> PreparedRecords:
    """Mask, digest, encrypt, serialise and hash the records (Python only, no database)."""
    keys = _Keys.current()
    alias = router.db_for_write(DecisionRecord)
    memo: _Memo = {}
    return PreparedRecords(alias, [_built(decision, keys, memo) for decision in decisions])


def decision_records_insert(
    prepared: PreparedRecords, *, db: BaseDatabaseWrapper | None = None
) -> list[int]:
    """Insert prepared records, one statement per chunk; returns their ids in order.

    ``db``: the connection to use (default: this thread's connection for the records'
    database); ``decision_records_writer`` passes its caller's from a helper thread.
    """
    built = prepared.built
    if not built:
        return []
    db = db or connections[prepared.alias]
    table = _table(prepared.alias)
    ids: list[int] = []
    with db.cursor() as cursor:
        for start in range(0, len(built), table.chunk_size):
            chunk = built[start : start + table.chunk_size]
            sql = table.head + ",".join([table.row] * len(chunk)) + table.returning
            cursor.execute(sql, [p for record in chunk for p in _params(record, table, db)])
            ids.extend(row[0] for row in cursor.fetchall())
    if len(ids) != len(built):
        raise RuntimeError(f"{len(built)} audit records inserted, {len(ids)} ids returned.")
    metrics.decisions_count(rows=[(str(r[10]), float(r[11]), r[8], r[5]) for r, _ in built])
    return ids


# --------------------------------------------------------------------------------------
# What follows a record, in its transaction
# --------------------------------------------------------------------------------------


class DecisionRecordedHook(Protocol):
    """Something an upper layer does with some new records in the transaction that writes
    them (a review case for a REVIEW decision): the audit layer calls it, knowing nothing
    of it. ``wants`` is pure Python (no database) and decides before anything is written,
    so a decision no hook wants is still written as one autocommitted INSERT."""

    def wants(self, decision: RecordedDecision) -> bool: ...

    def recorded(self, records: Sequence[DecisionRecord]) -> None: ...


#: Registered once at start-up by the apps' ``AppConfig.ready`` (wiring, not state).
_HOOKS: list[DecisionRecordedHook] = []


def decision_recorded_hook_register(hook: DecisionRecordedHook) -> None:
    """Call ``hook`` for every record it wants from now on (registering twice is once)."""
    if hook not in _HOOKS:
        _HOOKS.append(hook)


#: For each hook that wants some of a list of decisions: the hook and their positions.
_Wanted = list[tuple[DecisionRecordedHook, list[int]]]


def _wanted(decisions: Sequence[RecordedDecision]) -> _Wanted:
    found = [(hook, [i for i, d in enumerate(decisions) if hook.wants(d)]) for hook in _HOOKS]
    return [(hook, indexes) for hook, indexes in found if indexes]


def _notify(wanted: _Wanted, records: Sequence[DecisionRecord]) -> None:
    for hook, indexes in wanted:
        hook.recorded([records[i] for i in indexes])


def _saved(prepared: PreparedRecords, ids: Sequence[int]) -> list[DecisionRecord]:
    return [
        DecisionRecord.from_db(prepared.alias, _FIELDS, (pk, *row))
        for pk, (row, _) in zip(ids, prepared.built, strict=True)
    ]


def decision_records_create(*, decisions: list[RecordedDecision]) -> list[DecisionRecord]:
    """Insert the records, one statement per chunk, and return them saved (with their ids).

    Opens no transaction of its own unless a registered hook wants one of the records:
    outside one, a single decision is one autocommitted INSERT; a caller writing several
    chunks, or other rows with them, wraps the call in ``atomic()``. When a hook wants a
    record, the records and what the hook writes commit together.
    """
    if not decisions:
        return []
    wanted = _wanted(decisions)
    prepared = decision_records_prepare(decisions=decisions)
    db = connections[prepared.alias]
    if wanted and not db.in_atomic_block:
        with transaction.atomic(using=prepared.alias):
            return _create(prepared, db, wanted)
    return _create(prepared, db, wanted)


def _create(
    prepared: PreparedRecords, db: BaseDatabaseWrapper, wanted: _Wanted
) -> list[DecisionRecord]:
    if not db.features.can_return_rows_from_bulk_insert:  # pragma: no cover - not SQLite/PG
        records = DecisionRecord.objects.using(prepared.alias).bulk_create(
            [DecisionRecord(**dict(zip(_FIELDS, row, strict=True))) for row, _ in prepared.built]
        )
    else:
        records = _saved(prepared, decision_records_insert(prepared, db=db))
    _notify(wanted, records)
    return records


class RecordWriter:
    """Writes records from a helper thread on the caller's connection, inside its transaction.

    ``write`` prepares the records in the calling thread and hands the INSERT to the helper,
    so that the database's work on one chunk overlaps the caller's work on the next (the
    driver releases the GIL while it waits). One INSERT runs at a time; the caller must not
    use the connection itself until ``close``, which waits for the last INSERT. An INSERT's
    error is raised from the next ``write`` or from ``close``, and the caller's ``atomic()``
    then rolls everything back. Use ``decision_records_writer``.
    """

    def __init__(self, db: BaseDatabaseWrapper) -> None:
        self.db = db
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kreditax-audit-write")
        self.pending: tuple[Future[list[int]], PreparedRecords, _Wanted] | None = None

    def write(self, decisions: list[RecordedDecision]) -> None:
        if not decisions:
            return
        wanted = _wanted(decisions)
        prepared = decision_records_prepare(decisions=decisions)
        self._wait()
        future = self.pool.submit(decision_records_insert, prepared, db=self.db)
        self.pending = (future, prepared, wanted)

    def _wait(self) -> None:
        if self.pending is not None:
            (future, prepared, wanted), self.pending = self.pending, None
            ids = future.result()  # raises the INSERT's error, if any
            if wanted:  # the helper is idle now: the connection is this thread's again
                _notify(wanted, _saved(prepared, ids))

    def close(self) -> None:
        """Wait for the last INSERT and stop the helper thread."""
        try:
            self._wait()
        finally:
            self.pool.shutdown(wait=True, cancel_futures=True)


@contextmanager
def decision_records_writer() -> Iterator[RecordWriter]:
    """A ``RecordWriter`` on this thread's connection; must be used inside ``atomic()``.

    On leaving, waits for the last INSERT (raising its error); on an error inside the block,
    waits for the INSERT in flight and lets the block's error through.
    """
    db = connections[router.db_for_write(DecisionRecord)]
    if not db.in_atomic_block:
        raise RuntimeError("decision_records_writer must be used inside transaction.atomic().")
    db.inc_thread_sharing()
    writer = RecordWriter(db)
    try:
        yield writer
    except BaseException:
        with contextlib.suppress(Exception):
            writer.close()
        raise
    else:
        writer.close()
    finally:
        db.dec_thread_sharing()


# --------------------------------------------------------------------------------------
# Portfolio runs: one record per finished run (never one per scored row)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PortfolioRunAudit:
    """What the portfolio app reports of a finished run (see ``PortfolioRunRecord``)."""

    run_id: int
    status: str
    engine: str
    model_version: ModelVersion
    rule_set: RuleSet
    as_of: date
    input_path: str
    input_sha256: str
    output_path: str
    output_sha256: str
    rows: int
    scored: int
    invalid: int
    started_by: User | None
    started_at: datetime | None
    finished_at: datetime


def portfolio_run_content(record: PortfolioRunRecord) -> dict[str, Any]:
    """The fields ``content_hash`` covers, as plain JSON values."""
    return {
        "run_id": record.run_id,
        "status": record.status,
        "engine": record.engine,
        "model_version": record.model_version_id,
        "rule_set": record.rule_set_id,
        "as_of": record.as_of.isoformat(),
        "input_path": record.input_path,
        "input_sha256": record.input_sha256,
        "output_path": record.output_path,
        "output_sha256": record.output_sha256,
        "rows": record.rows,
        "scored": record.scored,
        "invalid": record.invalid,
        "started_by": record.started_by_id,
        "started_at": record.started_at.isoformat() if record.started_at else None,
        "finished_at": record.finished_at.isoformat(),
        "created_at": record.created_at.isoformat(),
    }


def portfolio_run_content_hash(record: PortfolioRunRecord) -> str:
    canonical = json.dumps(portfolio_run_content(record), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def portfolio_run_record_create(*, run: PortfolioRunAudit) -> PortfolioRunRecord:
    """Append the audit record of a finished portfolio run, with its content hash."""
    record = PortfolioRunRecord(
        run_id=run.run_id,
        status=run.status,
        engine=run.engine,
        model_version=run.model_version,
        rule_set=run.rule_set,
        as_of=run.as_of,
        input_path=run.input_path,
        input_sha256=run.input_sha256,
        output_path=run.output_path,
        output_sha256=run.output_sha256,
        rows=run.rows,
        scored=run.scored,
        invalid=run.invalid,
        started_by=run.started_by,
        started_at=run.started_at,
        finished_at=run.finished_at,
        created_at=timezone.now(),
    )
    record.content_hash = portfolio_run_content_hash(record)
    record.save()
    return record
