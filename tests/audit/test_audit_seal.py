"""Sealing: chained checkpoints over every settled record, in (created_at, id) order."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from audit.models import AuditCheckpoint
from audit.sealing import GENESIS_HASH, audit_seal, audit_verify, checkpoint_hash
from audit.tasks import seal_audit_trail
from tests.audit.conftest import T0, MakeRecords

LATER = T0 + timedelta(hours=3)


def test_the_first_seal_covers_every_record_and_chains_to_genesis(
    make_records: MakeRecords,
) -> None:
    records = make_records(3)
    checkpoint = audit_seal(now=LATER)
    assert checkpoint is not None
    expected = hashlib.sha256("".join(f"{r.content_hash}\n" for r in records).encode())
    assert (checkpoint.sequence, checkpoint.record_count) == (1, 3)
    assert (checkpoint.first_record_id, checkpoint.last_record_id) == (
        records[0].pk,
        records[2].pk,
    )
    assert checkpoint.records_digest == expected.hexdigest()
    assert checkpoint.previous_hash == GENESIS_HASH
    assert checkpoint.checkpoint_hash == checkpoint_hash(checkpoint)


def test_the_next_seal_covers_only_new_records_and_chains_to_the_previous(
    make_records: MakeRecords,
) -> None:
    make_records(2)
    first = audit_seal(now=LATER)
    newer = make_records(1, start=T0 + timedelta(hours=1))
    second = audit_seal(now=LATER + timedelta(minutes=1))
    assert first is not None
    assert second is not None
    assert (second.sequence, second.record_count) == (2, 1)
    assert second.first_record_id == newer[0].pk
    assert second.previous_hash == first.checkpoint_hash


def test_nothing_new_means_no_checkpoint(make_records: MakeRecords) -> None:
    make_records(1)
    audit_seal(now=LATER)
    assert audit_seal(now=LATER + timedelta(minutes=1)) is None
    assert AuditCheckpoint.objects.count() == 1


def test_records_younger_than_the_settle_delay_wait_for_the_next_seal(
    make_records: MakeRecords, settings: Any
) -> None:
    settings.KREDITAX_AUDIT_SEAL_DELAY_SECONDS = 120
    make_records(1)
    make_records(1, start=T0 + timedelta(minutes=10))
    checkpoint = audit_seal(now=T0 + timedelta(minutes=11))
    assert checkpoint is not None
    assert checkpoint.record_count == 1


def test_the_beat_task_seals_and_returns_the_sequence(
    make_records: MakeRecords, settings: Any
) -> None:
    settings.KREDITAX_AUDIT_SEAL_DELAY_SECONDS = 0
    make_records(2)
    assert seal_audit_trail.delay().get() == 1
    assert seal_audit_trail.delay().get() is None
    assert AuditCheckpoint.objects.get().record_count == 2


def test_the_beat_schedule_seals_every_minute(settings: Any) -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["seal-audit-trail"]
    assert entry == {"task": "audit.tasks.seal_audit_trail", "schedule": 60.0}


def test_an_untouched_trail_verifies(make_records: MakeRecords) -> None:
    make_records(3)
    audit_seal(now=LATER)
    make_records(2, start=T0 + timedelta(hours=1))
    result = audit_verify()
    assert (result.ok, result.records_checked, result.checkpoints_checked) == (True, 5, 1)
