"""Evidence exports: a filtered set of decisions as CSV or JSON Lines, streamed.

Memory stays constant: rows are read with ``.iterator(chunk_size=...)`` and written as they
come. An export pins its filter to the records that existed when it started (``as_of``, the
newest record id) and is logged as an EXPORT access. The file can be streamed again from that
access row (``export_file``: the trail is append-only, so the bytes are the same), and so can
its manifest: the filter, row count, SHA-256 of the file, the ``verify_audit`` result for the
range, who exported and when.

Exports carry masked data only: no raw personal data, no identity digests, no encrypted inputs.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from audit.access import audit_access_record
from audit.events import final_decision
from audit.models import AuditAccess, AuditEvent, DecisionRecord
from audit.sealing import audit_verify
from audit.selectors import RecordFilter, decision_records

FORMATS = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}
COLUMNS = (
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
    "counteroffer",
    "application_masked",
    "content_hash",
    "final_decision",
    "history",
)
CHUNK = 1000
#: Spreadsheet formula triggers (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ExportFormatError(ValueError):
    pass


def _history(event: AuditEvent) -> dict[str, Any]:
    """An event as exported: what, when, by whom, its facts and hash; never a note."""
    return {
        "sequence": event.sequence,
        "kind": event.kind,
        "at": event.created_at.isoformat(),
        "actor": event.actor_name,
        "payload": event.payload,
        "content_hash": event.content_hash,
    }


def _row(record: DecisionRecord, events: list[AuditEvent]) -> dict[str, Any]:
    return {
        "request_id": str(record.request_id),
        "created_at": record.created_at.isoformat(),
        "decision_date": record.decision_date.isoformat(),
        **{name: getattr(record, name) for name in COLUMNS[3:-2]},
        "final_decision": final_decision(record=record, events=events),
        "history": [_history(event) for event in events],
    }


def _rows(records: list[DecisionRecord]) -> list[dict[str, Any]]:
    """The rows of a chunk of records, with their events (one query per chunk)."""
    events: dict[int, list[AuditEvent]] = {record.pk: [] for record in records}
    found = AuditEvent.objects.filter(decision_id__in=list(events)).order_by("sequence")
    for event in found.defer("secret_encrypted"):
        events[event.decision_id].append(event)
    return [_row(record, events[record.pk]) for record in records]


def neutralise(cell: str) -> str:
    """Prefix a quote to a cell a spreadsheet would read as a formula."""
    return f"'{cell}" if cell.startswith(FORMULA_STARTS) else cell


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        value = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return neutralise(str(value))


def _encode(rows: Iterable[dict[str, Any]], fmt: str, *, header: bool) -> bytes:
    if fmt == "jsonl":
        lines = (json.dumps(row, sort_keys=True, ensure_ascii=False) + "\n" for row in rows)
        return "".join(lines).encode("utf-8")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if header:
        writer.writerow(COLUMNS)
    writer.writerows([_csv_cell(row[name]) for name in COLUMNS] for row in rows)
    return buffer.getvalue().encode("utf-8")


def export_stream(*, record_filter: RecordFilter, fmt: str) -> Iterator[bytes]:
    """The file's bytes in pieces of at most ``CHUNK`` rows (oldest record first)."""
    if fmt not in FORMATS:
        raise ExportFormatError(f"Unknown export format {fmt!r}: use csv or jsonl.")
    records = decision_records(record_filter=record_filter).order_by("created_at", "id")
    batch: list[DecisionRecord] = []
    header = fmt == "csv"
    for record in records.defer("inputs_encrypted").iterator(chunk_size=CHUNK):
        batch.append(record)
        if len(batch) == CHUNK:
            yield _encode(_rows(batch), fmt, header=header)
            batch, header = [], False
    if batch or header:
        yield _encode(_rows(batch), fmt, header=header)


def decision_records_export(
    *, record_filter: RecordFilter, fmt: str, user: AbstractBaseUser | AnonymousUser
) -> tuple[AuditAccess, Iterator[bytes]]:
    """Pin the filter, log the EXPORT access and return it with the file's stream."""
    if fmt not in FORMATS:
        raise ExportFormatError(f"Unknown export format {fmt!r}: use csv or jsonl.")
    pinned = record_filter.pinned()
    access = audit_access_record(
        user=user,
        action=AuditAccess.Action.EXPORT,
        what={"format": fmt, "filter": pinned.to_dict()},
        row_count=decision_records(record_filter=pinned).count(),
    )
    return access, export_stream(record_filter=pinned, fmt=fmt)


def export_file(*, access: AuditAccess) -> Iterator[bytes]:
    """The file of an earlier export again: the same bytes, from its pinned filter."""
    if access.action != AuditAccess.Action.EXPORT:
        raise ExportFormatError("This access is not an export.")
    record_filter = RecordFilter.from_dict(access.what["filter"])
    return export_stream(record_filter=record_filter, fmt=access.what["format"])


def export_manifest(*, access: AuditAccess) -> dict[str, Any]:
    """The manifest of an earlier export, recomputed from its pinned filter."""
    stream = export_file(access=access)
    fmt = access.what["format"]
    record_filter = RecordFilter.from_dict(access.what["filter"])
    digest, size = hashlib.sha256(), 0
    for piece in stream:
        digest.update(piece)
        size += len(piece)
    verification = audit_verify(since=record_filter.start)
    return {
        "export_id": access.pk,
        "format": fmt,
        "filter": record_filter.to_dict(),
        "row_count": access.row_count,
        "bytes": size,
        "sha256": digest.hexdigest(),
        "verify_audit": verification.to_dict(),
        "exported_by": access.user.get_username() if access.user else None,
        "exported_at": access.created_at.isoformat(),
    }
