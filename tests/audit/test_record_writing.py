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
from enum import StrEnum
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.db import DatabaseError, connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit import crypto, services
from audit.masking import normalise, pii_digest
from audit.models import AuditEvent, DecisionRecord
from audit.sealing import audit_verify
from audit.services import (
    RecordedDecision,
    content_hash,
    decision_record_build,
    decision_records_create,
    pii_key_id,
)
from registry.models import ModelVersion
from tests.audit.conftest import APPLICANT, T0, recorded

PINNED_PII_KEY = "pinned-pii-key"
PINNED_AUDIT_KEY = base64.urlsafe_b64encode(bytes(range(32))).decode()
PINNED_AT = 1_772_420_400  # the Fernet token's timestamp
PINNED_HASH = "121898dfc58c061fe2230bca91335300c731b20e7fd015ee3bda45434d8d6976"
PINNED_HASH_WITHOUT_IDENTITY = "7253cf6c377c6df7b32cf1ad6d2f4e82827554aa826592b80aa927f41b8eacf6"
PINNED_TOKEN = (
    "gAAAAABppP0wAAAAAAAAAAAAAAAAAAAAAM6tUuQrZY5TGSQfDGG8lq70OoFNVkNmhxw9JJ6E9UgOt7-wuB5J8i"
    "wfYWhVxjIUwoDAR5OqgMvnQVLSASxOfPalPGDUPi9hiQDTol0hUb0Ue1CpXtXTCTV-2fIRzq1nKBhp6TiEgl2-"
    "CdoCUdYmM3gNw_KVuqOA46l8XEqT9R_BZmf-awWcQuqEUKp6cYxVx8a2ivQB0rl6tTwa5DHl8lCsD5OMsqY9Ne"
    "BsB66-PU5Mxa7hKeREUbukBniesSxetg7z3aUHBtORKjHQ9DoXWAcYc4mhTXojZfY4juxnJElgLxohs3xv9Vx_"
    "tw-S_REM7p7xP_17sTJhirR1Gv_Zx2L0x13DzcCBas-9eicwE5Etnra9IhzjUS5zovPzcokEduqVcUdWPbErk6"
    "lyedIIIBKNaiNDzoPKdIfGaPOKAXwwhc3yT8y-TKiC5IzklV6KmNm58FIG0Mt_tGUbETG-bNUu_cumJhPjwQ-9"
    "sGqsy2qkO6Pb0aQfWcuAM_aBQBLsTJ5xSvdUH7KXpavBBIit265mRqthDqql9VGUqkR5J_zkEnt9aqxJjWNXfb"
    "3Amr8jaWhyUktQ_U4n6D9957FsFHDWgp02AbKsieGhmGTUDdGmHjzhD2Vpfdp-2Jn3YsbhBlciqB9T7RKwXU6W"
    "kx6DF8IR6s32Pc1fbxaGQNhTJiAo28srTegm0Fbg2qdMjCjBgr1GNUMHytgns2jCxjSk0HY="
)

#: A real decision's recorded payload (``tests.audit.conftest.real_decision``), frozen so
#: that the pinned hashes below do not move when the model or a library changes.
FROZEN_DECISION: dict[str, Any] = {
    "rule_set_version": "fintech-2026.1",
    "decision": "REJECT",
    "probability_of_default": 0.04693905636668205,
    "credit_score": 572,
    "risk_grade": "B",
    "thresholds": {
        "thresholds": {"approve_below": 0.08, "reject_from": 0.2},
        "grades": {"bands": [["A", 0.03], ["B", 0.06], ["C", 0.12], ["D", 0.25], ["E", 1.0]]},
        "scaling": {
            "base_score": 600.0,
            "base_odds": 30.0,
            "pdo": 50.0,
            "min_score": 250,
            "max_score": 900,
        },
    },
    "reasons": [
        {
            "code": "HOUSING_ADVERSE",
            "field": "housing_type",
            "value_id": "Sewa/kontrak",
            "value_en": "Rented",
            "contribution": 0.114478,
            "text_id": "Status tempat tinggal Sewa/kontrak menaikkan risiko",
            "text_en": "Housing status (Rented) raised the risk",
        },
        {
            "code": "EXISTING_DEBT_ADVERSE",
            "field": "total_existing_debt",
            "value_id": "Rp 20.000.000",
            "value_en": "IDR 20,000,000",
            "contribution": 0.090315,
            "text_id": "Total utang berjalan Rp 20.000.000 menaikkan risiko",
            "text_en": "Total existing debt of IDR 20,000,000 raised the risk",
        },
        {
            "code": "CARD_UTILISATION_HIGH",
            "field": "credit_card_utilization",
            "value_id": "35 %",
            "value_en": "35 %",
            "contribution": 0.084744,
            "text_id": "Pemakaian limit kartu kredit 35 % menaikkan risiko",
            "text_en": "Credit card utilisation of 35 % raised the risk",
        },
        {
            "code": "NEW_INSTALLMENT_ADVERSE",
            "field": "new_installment",
            "value_id": "Rp 1.996.964",
            "value_en": "IDR 1,996,964",
            "contribution": 0.052943,
            "text_id": "Cicilan pinjaman baru Rp 1.996.964 per bulan menaikkan risiko",
            "text_en": "New loan installment of IDR 1,996,964 a month raised the risk",
        },
    ],
    "policy": [
        {
            "code": "OJK_MAX_REPAYMENT_TO_INCOME",
            "kind": "max_dsr",
            "in_force": True,
            "passed": False,
            "actual": 0.3597571263024287,
            "limit": 0.3,
            "effective_from": "2026-01-01",
            "message_id": "DSR 36 % melebihi batas 30 % yang berlaku sejak 1 Januari 2026",
            "message_en": "DSR 36 % exceeds the 30 % cap in force since 1 January 2026",
        },
        {
            "code": "OJK_MAX_LENDING_PLATFORMS",
            "kind": "max_platforms",
            "in_force": True,
            "passed": True,
            "actual": 2.0,
            "limit": 3,
            "effective_from": "2024-01-01",
            "message_id": "Platform pinjaman termasuk pinjaman ini: 2, dalam batas 3 yang "
            "berlaku sejak 1 Januari 2024",
            "message_en": "Lending platforms including this loan: 2, within the limit of 3 "
            "in force since 1 January 2024",
        },
        {
            "code": "OJK_MIN_AGE",
            "kind": "min_age",
            "in_force": True,
            "passed": True,
            "actual": 36.0,
            "limit": 18,
            "effective_from": "2024-01-01",
            "message_id": "Usia 36 tahun memenuhi batas minimal 18 tahun yang berlaku sejak "
            "1 Januari 2024",
            "message_en": "Age 36 years meets the minimum of 18 years in force since 1 "
            "January 2024",
        },
        {
            "code": "OJK_MIN_INCOME",
            "kind": "min_income",
            "in_force": False,
            "passed": True,
            "actual": None,
            "limit": None,
            "effective_from": None,
            "message_id": "Penghasilan bulanan minimal: belum berlaku pada 2 Maret 2026; "
            "berlaku mulai 1 Januari 2027",
            "message_en": "Minimum monthly income: not in force on 2 March 2026; applies "
            "from 1 January 2027",
        },
        {
            "code": "OJK_MAX_FUNDING",
            "kind": "max_loan_amount",
            "in_force": True,
            "passed": True,
            "actual": 40000000.0,
            "limit": 2000000000,
            "effective_from": "2024-01-01",
            "message_id": "Jumlah pinjaman Rp 40.000.000 dalam batas maksimal Rp "
            "2.000.000.000 yang berlaku sejak 1 Januari 2024",
            "message_en": "Loan amount IDR 40,000,000 is within the maximum of IDR "
            "2,000,000,000 in force since 1 January 2024",
        },
    ],
    "failed_rules": ["OJK_MAX_REPAYMENT_TO_INCOME"],
    "attributions": {
        "base_value": -2.367256,
        "margin": -3.010829,
        "contributions": {
            "disposable_income": -0.305069,
            "worst_collectibility_24m": -0.174266,
            "education": -0.164346,
            "housing_type": 0.114478,
            "dsr": -0.107081,
            "past_delinquencies": -0.10658,
            "total_existing_debt": 0.090315,
            "credit_card_utilization": 0.084744,
            "loan_to_income": -0.073791,
            "new_installment": 0.052943,
            "monthly_income": -0.051839,
            "age": 0.050708,
            "active_lending_platforms": -0.043905,
            "loan_purpose": -0.038591,
            "employment_status": 0.034943,
            "existing_monthly_installments": 0.022417,
            "loan_term_months": -0.020004,
            "loan_amount": -0.015913,
            "annual_interest_rate": 0.007265,
            "debt_to_income": 0.0,
            "province": 0.0,
            "work_experience_years": 0.0,
        },
    },
    "counteroffer": {
        "cap": 0.3,
        "annual_interest_rate": 0.18,
        "requested_amount": 40000000.0,
        "requested_term_months": 24,
        "requested_dsr": 0.3597571263024287,
        "max_amount": 25000000.0,
        "max_amount_dsr": 0.29984820393901795,
        "min_term_months": 44,
        "min_term_dsr": 0.299873216461509,
    },
}


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
            **FROZEN_DECISION,
            shadow=shadow,
            idempotency_key_digest="e" * 64,
            client_id=client_id,
        ),
        recorded(
            version,
            request_id=uuid.UUID("0b6f2f6e-5c55-4d1e-9a43-3d1f0c2a7e12"),
            **FROZEN_DECISION,
            application={"age": 20, "loan_amount": 1_000_000.5, "province": "DKI_JAKARTA"},
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
    inserts = [q for q in queries if q["sql"].startswith('INSERT INTO "audit_decisionrecord"')]
    assert len(inserts) == math.ceil(1200 / chunk)
    # The rest is what the registered hooks write in the same transaction: one review case
    # per REVIEW decision and its first event (review.services), and nothing else.
    others = {q["sql"].split(" (")[0] for q in queries if q not in inserts}
    assert {sql for sql in others if sql.startswith("INSERT")} == {
        'INSERT INTO "review_reviewcase"',
        'INSERT INTO "audit_auditevent"',
    }
    assert AuditEvent.objects.count() == sum(d.decision == "REVIEW" for d in decisions) == 400
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
        assert crypto.decrypt_inputs(new.inputs_encrypted)["province"] == "DKI_JAKARTA"
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
    # ... except the two number forms jsonb would not give back (test_hash_round_trip.py).
    expected = {"1e+16": "10000000000000000", "-0.0": "0.0"}.get(expected, expected)
    assert crypto.canonical_json(value) == expected


def test_the_fields_hashed_without_escaping_need_none(pinned_keys: Any) -> None:
    record = decision_record_build(decision=pinned_decisions(_Version)[0])
    for name in services._PLAIN_FIELDS:
        value = getattr(record, name)
        assert json.dumps(value) == f'"{value}"'


def test_a_batch_prepared_at_once_is_each_record_built_alone(pinned_keys: Any) -> None:
    """The thresholds the records share are encoded once per batch: the rows and texts are
    those of each record built on its own (the pinned hashes among them)."""
    decisions = pinned_decisions(_Version)
    prepared = services.decision_records_prepare(decisions=decisions)
    alone = [services._built(decision, services._Keys.current()) for decision in decisions]
    assert decisions[0].thresholds is decisions[1].thresholds  # the case the memo serves
    for (row, texts), (row_alone, texts_alone) in zip(prepared.built, alone, strict=True):
        token, token_alone = row[28], row_alone[28]  # Fernet: a new IV each time
        assert crypto.decrypt_inputs(token) == crypto.decrypt_inputs(token_alone)
        assert row[:28] + row[29:30] == row_alone[:28] + row_alone[29:30]
        assert texts == texts_alone
    assert [row[-1] for row, _ in prepared.built] == [
        services.content_hash(DecisionRecord(**dict(zip(services._FIELDS, row, strict=True))))
        for row, _ in prepared.built
    ]


class _Endpoint(StrEnum):
    BATCH = "batch"


@pytest.mark.parametrize(
    "value",
    [
        "predict",
        _Endpoint.BATCH,
        "é\x7f\n",
        uuid.UUID(int=7),
        date(2026, 12, 1),
        datetime(2026, 12, 1, 9, 30, tzinfo=timezone.get_fixed_timezone(420)),
        1.5,
        3,
        None,
    ],
)
def test_a_scalar_is_encoded_as_the_canonical_json_of_its_canonical_form(value: Any) -> None:
    assert services._scalar(value) == crypto.canonical_json(services._canonical(value))
