"""Writing decision records: the hash is stable, rows read back verify, one INSERT per chunk.

The pinned hashes were computed with the implementation that built each record through the
model and hashed it with ``json.dumps`` (before records were serialised once and inserted as
multi-row statements); they must never change for the same record.
"""

from __future__ import annotations

import base64
import json
import math
import uuid
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.db import DatabaseError, connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit import crypto, services
from audit.masking import normalise, pii_digest
from audit.models import DecisionRecord
from audit.sealing import audit_verify
from audit.services import (
    RecordedDecision,
    content_hash,
    decision_record_build,
    decision_records_create,
    pii_key_id,
)
from tests.audit.conftest import APPLICANT, T0, recorded
from training.models import ModelVersion

PINNED_PII_KEY = "pinned-pii-key"
PINNED_AUDIT_KEY = base64.urlsafe_b64encode(bytes(range(32))).decode()
PINNED_AT = 1_772_420_400  # the Fernet token's timestamp
PINNED_HASH = "f4c7361d501625d1c88c8165b7e1cae142f44c0c15fe452cf61f71e57e54a20e"
PINNED_HASH_WITHOUT_IDENTITY = "ed9d1a3219044702c7e3a4ac36969b048ed61fd54a78d0db80dfb48414868a03"
PINNED_TOKEN = (
    "gAAAAABppP0wAAAAAAAAAAAAAAAAAAAAAIIXRGun8z8RyPeuSXqkGnKyVk85b7haYtN0lj6sxHNu_BROxJwL0YSl"
    "F1yUxwLNZvJUpqBWseQPwbkmu3779EsE82vBoFZBX0Eb5F1Cx_3eoZFkTih3bVSxLKYrl2k4Em_YfAjaEWxFzSGa"
    "8Zd5lNI="
)


@pytest.fixture
def pinned_keys(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Fixed keys, and a Fernet token with a fixed time and IV, so the whole record is fixed."""

    def encrypt_at_time(self: Fernet, data: bytes, current_time: int) -> bytes:
        return self._encrypt_from_parts(data, PINNED_AT, bytes(16))

    monkeypatch.setattr(Fernet, "encrypt_at_time", encrypt_at_time)
    with override_settings(
        KREDITAX_PII_KEY=PINNED_PII_KEY, KREDITAX_AUDIT_KEYS=[PINNED_AUDIT_KEY]
    ) as overridden:
        yield overridden


def pinned_decisions(version: Any, client_id: str | None = "c1") -> list[RecordedDecision]:
    shadow = {
        "model_label": "challenger-1",
        "probability_of_default": 0.1875,
        "credit_score": 600,
        "risk_grade": "B",
        "model_decision": "REVIEW",
    }
    return [
        recorded(
            version,
            request_id=uuid.UUID("0b6f2f6e-5c55-4d1e-9a43-3d1f0c2a7e11"),
            created_at=datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=T0.tzinfo),
            counteroffer={"loan_amount": 30_000_000, "tenor_months": 24},
            shadow=shadow,
            idempotency_key_digest="e" * 64,
            client_id=client_id,
        ),
        recorded(
            version,
            request_id=uuid.UUID("0b6f2f6e-5c55-4d1e-9a43-3d1f0c2a7e12"),
            application={"age": 20, "loan_amount": 1_000_000.5, "province": "31"},
        ),
    ]


class _Version:
    """What ``recorded`` needs of a model version, without a database."""

    pk = 7
    label = "xgb-test-1"


def test_a_known_record_keeps_its_pinned_content_hash(pinned_keys: Any) -> None:
    with_identity, without_identity = (
        decision_record_build(decision=d) for d in pinned_decisions(_Version)
    )
    assert with_identity.inputs_encrypted == PINNED_TOKEN
    assert (with_identity.pii_key_id, with_identity.inputs_key_id) == (
        "61dfeb41fff4",
        "905f28def18e",
    )
    assert with_identity.nik_digest == (
        "cf8b9b2b91393b335c04aa7a3cd9ece2681e37cf9784f52d583647754e5f7b2f"
    )
    assert with_identity.content_hash == PINNED_HASH
    assert content_hash(with_identity) == PINNED_HASH
    assert without_identity.content_hash == PINNED_HASH_WITHOUT_IDENTITY
    assert content_hash(without_identity) == PINNED_HASH_WITHOUT_IDENTITY


@pytest.mark.django_db
def test_a_written_record_keeps_its_pinned_hash_when_read_back(
    pinned_keys: Any, version: ModelVersion
) -> None:
    decisions = pinned_decisions(version, client_id=None)  # the client is not hashed
    written = decision_records_create(decisions=decisions)
    assert [r.content_hash for r in written] == [PINNED_HASH, PINNED_HASH_WITHOUT_IDENTITY]
    for record in written:
        stored = DecisionRecord.objects.get(pk=record.pk)
        assert stored.content_hash == record.content_hash == content_hash(stored)


def varied(version: ModelVersion, i: int) -> RecordedDecision:
    """A decision whose every field differs from the next one's (unicode included)."""
    application = {
        **APPLICANT,
        "application_id": f"LOS-2026-{i:06d}",
        "nik": f"3171{i:012d}",
        "phone": f"+62 812-{i:04d}-{i % 97:04d}",
        "email": f"Pemohon.{i}@Contoh.co.id",
        "full_name": f"Ñoman Ökta Wijaya {i}",
        "age": 18 + i % 60,
        "monthly_income": 1_000_000.0 + i * 12_345.67,
        "province": "Jawa Barat ☕" if i % 2 else "31",
    }
    if i % 5 == 0:
        application.pop("email")
    return recorded(
        version,
        created_at=T0 + timedelta(seconds=i, microseconds=i),
        decision_date=date(2026, 3, 2) + timedelta(days=i % 3),
        endpoint=("predict", "explain", "batch")[i % 3],
        actor_name=f"bank-{i % 7}",
        decision=("APPROVE", "REVIEW", "REJECT")[i % 3],
        probability_of_default=(i % 1000) / 1000 + 1e-9,
        credit_score=300 + i % 550,
        risk_grade="ABCDE"[i % 5],
        thresholds={"reject_from": 0.2, "approve_below": 0.08 + i / 1e6},
        reasons=[{"code": "DSR_ADVERSE", "text_id": "Beban cicilan 😟 tinggi", "rank": i}],
        policy=[{"code": "DSR_CAP", "passed": bool(i % 2), "limit": None}],
        failed_rules=[] if i % 2 else ["DSR_CAP", f"RULE_{i}"],
        attributions={"base_value": -2.0, "contributions": {"dsr": i / 7, "age": -0.1}},
        counteroffer={"loan_amount": i * 1000, "tenor_months": 12} if i % 4 == 0 else None,
        shadow={"model_label": "challenger", "probability_of_default": i / 3000} if i % 3 else None,
        idempotency_key_digest=f"{i:064x}" if i % 2 else "",
        application=application,
    )


@pytest.mark.django_db
def test_records_read_back_from_the_database_verify() -> None:
    version = ModelVersion.objects.create(
        label="xgb-read-back",
        algorithm=ModelVersion.Algorithm.XGBOOST,
        status=ModelVersion.Status.READY,
        artifact_path="/nonexistent",
        artifact_sha256="a" * 64,
        data_fingerprint="f" * 64,
        ready_at=timezone.now(),
    )
    written = decision_records_create(decisions=[varied(version, i) for i in range(12)])
    stored = {r.pk: r for r in DecisionRecord.objects.all()}
    assert len(stored) == 12
    for record in written:
        assert content_hash(record) == record.content_hash
        assert content_hash(stored[record.pk]) == record.content_hash
        assert stored[record.pk].content_hash == record.content_hash
    assert audit_verify().ok


@pytest.mark.django_db
def test_a_record_built_for_the_orm_verifies_after_an_ordinary_save(
    version: ModelVersion,
) -> None:
    record = decision_record_build(decision=varied(version, 3))
    record.save()
    stored = DecisionRecord.objects.get(pk=record.pk)
    assert content_hash(stored) == stored.content_hash == record.content_hash


@pytest.mark.django_db
def test_1200_records_are_written_with_their_exact_values(version: ModelVersion) -> None:
    decisions = [varied(version, i) for i in range(1200)]
    with CaptureQueriesContext(connection) as queries:
        written = decision_records_create(decisions=decisions)
    chunk = services._table(connection.alias).chunk_size
    assert len(queries.captured_queries) == math.ceil(1200 / chunk)
    assert all(q["sql"].startswith('INSERT INTO "audit_decisionrecord"') for q in queries)
    assert [r.request_id for r in written] == [d.request_id for d in decisions]
    stored = {r.request_id: r for r in DecisionRecord.objects.all()}
    assert len(stored) == 1200
    names = [f.attname for f in DecisionRecord._meta.concrete_fields]
    for decision, record in zip(decisions, written, strict=True):
        row = stored[decision.request_id]
        assert {n: getattr(row, n) for n in names} == {n: getattr(record, n) for n in names}
        assert row.created_at == decision.created_at
        assert row.decision_date == decision.decision_date
        assert (row.endpoint, row.decision, row.risk_grade) == (
            decision.endpoint,
            decision.decision,
            decision.risk_grade,
        )
        assert row.client_name == decision.actor_name
        assert row.probability_of_default == decision.probability_of_default
        assert row.credit_score == decision.credit_score
        assert row.thresholds == decision.thresholds
        assert (row.reasons, row.policy, row.failed_rules) == (
            decision.reasons,
            decision.policy,
            decision.failed_rules,
        )
        assert row.attributions == decision.attributions
        assert row.counteroffer == decision.counteroffer
        assert row.shadow == decision.shadow
        assert row.idempotency_key_digest == decision.idempotency_key_digest
        assert row.nik_digest == pii_digest(decision.application["nik"], key="test-pii-key")
        assert row.email_digest == (
            pii_digest(normalise("email", decision.application["email"]), key="test-pii-key")
            if "email" in decision.application
            else ""
        )
        assert row.application_masked["initials"] == "Ñ.Ö.W."
        assert row.content_hash == content_hash(row)
        assert (
            crypto.decrypt_inputs(row.inputs_encrypted)["province"]
            == (decision.application["province"])
        )


@pytest.mark.django_db
def test_three_records_are_one_insert_and_no_savepoint(version: ModelVersion) -> None:
    decisions = [recorded(version, created_at=T0 + timedelta(minutes=i)) for i in range(3)]
    with CaptureQueriesContext(connection) as queries:
        written = decision_records_create(decisions=decisions)
    assert [q["sql"][:34] for q in queries] == ['INSERT INTO "audit_decisionrecord"']
    assert [r.pk for r in written] == sorted(r.pk for r in written)
    assert all(not r._state.adding for r in written)


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_outside_a_transaction_three_records_are_one_autocommitted_insert(
    flushable_audit: None, version: ModelVersion, monkeypatch: pytest.MonkeyPatch
) -> None:
    from psycopg2.extensions import TRANSACTION_STATUS_IDLE

    decisions = [recorded(version, created_at=T0 + timedelta(minutes=i)) for i in range(3)]
    transaction_calls: list[str] = []
    for name in ("commit", "rollback", "set_autocommit", "savepoint"):
        original = getattr(connection, name)

        def spy(*args: Any, _name: str = name, _original: Any = original, **kw: Any) -> Any:
            transaction_calls.append(_name)
            return _original(*args, **kw)

        monkeypatch.setattr(connection, name, spy)
    assert connection.get_autocommit()
    assert not connection.in_atomic_block
    with CaptureQueriesContext(connection) as queries:
        written = decision_records_create(decisions=decisions)
    monkeypatch.undo()
    assert [q["sql"][:34] for q in queries] == ['INSERT INTO "audit_decisionrecord"']
    assert transaction_calls == []
    # Autocommitted: no transaction is left open, and the rows are there for everyone.
    assert connection.connection.get_transaction_status() == TRANSACTION_STATUS_IDLE
    assert DecisionRecord.objects.count() == 3
    for record in written:
        assert content_hash(DecisionRecord.objects.get(pk=record.pk)) == record.content_hash


@pytest.mark.django_db
def test_a_failed_batch_inside_the_callers_transaction_writes_nothing(
    version: ModelVersion,
) -> None:
    first = recorded(version)
    with pytest.raises(Exception, match=r"(?i)unique"), transaction.atomic():
        decision_records_create(decisions=[recorded(version), first, first])
    assert DecisionRecord.objects.count() == 0


@pytest.mark.django_db
def test_a_database_error_from_the_insert_is_raised_and_nothing_is_written(
    version: ModelVersion,
) -> None:
    def locked(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if sql.startswith('INSERT INTO "audit_decisionrecord"'):
            raise DatabaseError("relation audit_decisionrecord is locked")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(locked), pytest.raises(DatabaseError, match="locked"):
        decision_records_create(decisions=[recorded(version)])
    assert DecisionRecord.objects.count() == 0


def test_no_decisions_write_nothing() -> None:
    assert decision_records_create(decisions=[]) == []


def test_a_naive_created_at_is_refused() -> None:
    decision = recorded(_Version, created_at=datetime(2026, 3, 2, 9, 0))
    with pytest.raises(ValueError, match="timezone-aware"):
        decision_record_build(decision=decision)


def test_the_insert_lists_every_column_of_the_model() -> None:
    names = tuple(f.attname for f in DecisionRecord._meta.concrete_fields)
    assert names == ("id", *services._FIELDS)
    assert set(services.HASHED_FIELDS) <= set(services._FIELDS)
    assert set(services._JSON_FIELDS) == {
        f.attname
        for f in DecisionRecord._meta.concrete_fields
        if f.get_internal_type() == "JSONField"
    }


# --- keys changed through the settings ----------------------------------------------------


def test_digests_follow_a_pii_key_change() -> None:
    nik = APPLICANT["nik"]
    before = decision_record_build(decision=recorded(_Version))
    assert before.nik_digest == pii_digest(nik, key="test-pii-key")
    with override_settings(KREDITAX_PII_KEY="a-rotated-pii-key"):
        after = decision_record_build(decision=recorded(_Version))
        assert after.nik_digest == pii_digest(nik, key="a-rotated-pii-key")
        phone = normalise("phone", APPLICANT["phone"])
        assert after.phone_digest == pii_digest(phone, key="a-rotated-pii-key")
        assert after.pii_key_id == pii_key_id()
    assert after.nik_digest != before.nik_digest
    assert after.pii_key_id != before.pii_key_id
    again = decision_record_build(decision=recorded(_Version))
    assert (again.nik_digest, again.pii_key_id) == (before.nik_digest, before.pii_key_id)


def test_inputs_follow_an_audit_key_change() -> None:
    first, second = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(KREDITAX_AUDIT_KEYS=[first]):
        old = decision_record_build(decision=recorded(_Version))
    with override_settings(KREDITAX_AUDIT_KEYS=[second]):
        new = decision_record_build(decision=recorded(_Version))
        assert new.inputs_key_id == crypto.key_id()
        assert crypto.decrypt_inputs(new.inputs_encrypted)["province"] == "31"
        with pytest.raises(crypto.AuditKeyError):
            crypto.decrypt_inputs(old.inputs_encrypted)
    assert new.inputs_key_id != old.inputs_key_id
    with override_settings(KREDITAX_AUDIT_KEYS=[first]), pytest.raises(crypto.AuditKeyError):
        crypto.decrypt_inputs(new.inputs_encrypted)


def test_the_development_inputs_key_follows_the_pii_key() -> None:
    with override_settings(KREDITAX_AUDIT_KEYS=[]):
        old = decision_record_build(decision=recorded(_Version))
        with override_settings(KREDITAX_PII_KEY="a-rotated-pii-key"):
            new = decision_record_build(decision=recorded(_Version))
            assert crypto.decrypt_inputs(new.inputs_encrypted)["age"] == APPLICANT["age"]
            with pytest.raises(crypto.AuditKeyError):
                crypto.decrypt_inputs(old.inputs_encrypted)
    assert new.inputs_key_id != old.inputs_key_id


# --- canonical JSON -----------------------------------------------------------------------

CANONICAL_SAMPLES: list[Any] = [
    "predict",
    'Ñoman ☕ 😟 \n\t"\\ \x7f \x00',
    0.1 + 0.2,
    1e-05,
    1e16,
    -0.0,
    float("nan"),
    float("inf"),
    10**30,
    True,
    None,
    [],
    {},
    {"b": [1, 2.5, None, {"z": 1, "a": "x"}], "a": {"é": 1, "e": 2}, "1": (3, 4)},
    {2: "int keys", 1: "become strings"},
]


@pytest.mark.parametrize("value", CANONICAL_SAMPLES)
def test_canonical_json_is_json_dumps_with_sorted_keys(value: Any) -> None:
    expected = json.dumps(value, sort_keys=True, separators=(",", ":"))
    assert crypto.canonical_json(value) == expected


def test_the_fields_hashed_without_escaping_need_none(pinned_keys: Any) -> None:
    record = decision_record_build(decision=pinned_decisions(_Version)[0])
    for name in services._PLAIN_FIELDS:
        value = getattr(record, name)
        assert json.dumps(value) == f'"{value}"'
