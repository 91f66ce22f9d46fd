"""Writing decision records. Called inside the scoring transaction, before the response."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from django.conf import settings

from audit import crypto
from audit.masking import identity_digests, masked_application
from audit.models import DecisionRecord

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


def pii_key_id() -> str:
    """A short, non-secret identifier of the PII HMAC key in use (for rotation)."""
    return hashlib.sha256(f"kid:{settings.KREDITAX_PII_KEY}".encode()).hexdigest()[:12]


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
    payload = json.dumps(record_content(record), sort_keys=True, separators=(",", ":"))
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
    reasons: list[dict[str, Any]]
    policy: list[dict[str, Any]]
    failed_rules: list[str]
    attributions: Mapping[str, Any]
    counteroffer: Mapping[str, Any] | None
    shadow: Mapping[str, Any] | None
    idempotency_key_digest: str
    application: Mapping[str, Any]
    identity_fields: tuple[str, ...]


def _model_inputs(
    application: Mapping[str, Any], identity_fields: tuple[str, ...]
) -> dict[str, Any]:
    return {k: v for k, v in application.items() if k not in identity_fields}


def decision_record_build(*, decision: RecordedDecision) -> DecisionRecord:
    """An unsaved, fully masked and hashed record for ``decision`` (see ``bulk`` callers)."""
    key = settings.KREDITAX_PII_KEY
    digests = identity_digests(decision.application, key=key)
    record = DecisionRecord(
        request_id=decision.request_id,
        created_at=decision.created_at,
        decision_date=decision.decision_date,
        endpoint=decision.endpoint,
        client_id=decision.client_id,
        user_id=decision.user_id,
        client_name=decision.actor_name,
        model_version_id=decision.model_version_id,
        model_label=decision.model_label,
        rule_set_version=decision.rule_set_version,
        decision=decision.decision,
        probability_of_default=decision.probability_of_default,
        credit_score=decision.credit_score,
        risk_grade=decision.risk_grade,
        thresholds=dict(decision.thresholds),
        reasons=decision.reasons,
        policy=decision.policy,
        failed_rules=decision.failed_rules,
        attributions=dict(decision.attributions),
        counteroffer=dict(decision.counteroffer) if decision.counteroffer else None,
        shadow=dict(decision.shadow) if decision.shadow else None,
        idempotency_key_digest=decision.idempotency_key_digest,
        application_masked=masked_application(
            decision.application, identity_fields=decision.identity_fields
        ),
        application_ref_digest=digests.get("application_id", ""),
        nik_digest=digests.get("nik", ""),
        phone_digest=digests.get("phone", ""),
        email_digest=digests.get("email", ""),
        pii_key_id=pii_key_id(),
        inputs_encrypted=crypto.encrypt_inputs(
            _model_inputs(decision.application, decision.identity_fields)
        ),
        inputs_key_id=crypto.key_id(),
    )
    record.content_hash = content_hash(record)
    return record


def decision_records_create(*, decisions: list[RecordedDecision]) -> list[DecisionRecord]:
    """Insert the records; the caller's transaction makes them commit with the response."""
    records = [decision_record_build(decision=d) for d in decisions]
    return DecisionRecord.objects.bulk_create(records)
