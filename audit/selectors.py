"""Reads of the audit trail: filtered decision records, for the API, the admin and exports."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from audit.models import DecisionRecord


@dataclass(frozen=True)
class RecordFilter:
    """What a reviewer asked for. ``end`` is inclusive (the whole day); ``as_of`` pins the set
    to records with ``id <= as_of`` so an export and its manifest see the same rows."""

    start: date | None = None
    end: date | None = None
    decision: str | None = None
    model_version: str | None = None
    client: str | None = None
    risk_grade: str | None = None
    rule: str | None = None
    request_ids: tuple[str, ...] | None = None
    as_of: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON for the access log and the manifest (no personal data by construction)."""
        data = asdict(self)
        for name in ("start", "end"):
            data[name] = data[name].isoformat() if data[name] else None
        data["request_ids"] = list(self.request_ids) if self.request_ids is not None else None
        return {k: v for k, v in data.items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RecordFilter:
        values = dict(data)
        for name in ("start", "end"):
            if values.get(name):
                values[name] = date.fromisoformat(values[name])
        if values.get("request_ids") is not None:
            values["request_ids"] = tuple(values["request_ids"])
        return cls(**values)

    def pinned(self) -> RecordFilter:
        """The same filter, pinned to the records that exist now."""
        if self.as_of is not None:
            return self
        newest = DecisionRecord.objects.aggregate(newest=Max("id"))["newest"]
        return replace(self, as_of=newest or 0)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def failed_rule_q(code: str) -> Q:
    """Records where rule ``code`` failed: JSON containment on PostgreSQL, text elsewhere."""
    if connection.vendor == "postgresql":
        return Q(failed_rules__contains=[code])
    return Q(failed_rules__icontains=f'"{code}"')


def decision_records(*, record_filter: RecordFilter) -> QuerySet[DecisionRecord]:
    """Records matching the filter, newest first (``created_at`` desc, then ``id`` desc)."""
    f = record_filter
    qs = DecisionRecord.objects.order_by("-created_at", "-id")
    exact = {
        "decision": f.decision,
        "model_label": f.model_version,
        "client_name": f.client,
        "risk_grade": f.risk_grade,
    }
    qs = qs.filter(**{k: v for k, v in exact.items() if v})
    if f.start:
        qs = qs.filter(created_at__gte=_day_start(f.start))
    if f.end:
        qs = qs.filter(created_at__lt=_day_start(f.end + timedelta(days=1)))
    if f.rule:
        qs = qs.filter(failed_rule_q(f.rule))
    if f.request_ids is not None:
        qs = qs.filter(request_id__in=f.request_ids)
    if f.as_of is not None:
        qs = qs.filter(id__lte=f.as_of)
    return qs


def distinct_values(column: str) -> list[str]:
    """Distinct values of an indexed text column without scanning the table on PostgreSQL
    (a recursive "loose index scan": one index probe per distinct value)."""
    if column not in {"model_label", "client_name", "risk_grade"}:
        raise ValueError(f"No distinct look-up for {column!r}.")
    if connection.vendor != "postgresql":
        values = DecisionRecord.objects.order_by(column).values_list(column, flat=True)
        return list(values.distinct())
    sql = f"""
        WITH RECURSIVE t(v) AS (
            (SELECT {column} FROM audit_decisionrecord ORDER BY {column} LIMIT 1)
            UNION ALL
            SELECT (SELECT {column} FROM audit_decisionrecord WHERE {column} > t.v
                    ORDER BY {column} LIMIT 1)
            FROM t WHERE t.v IS NOT NULL
        )
        SELECT v FROM t WHERE v IS NOT NULL LIMIT 500
    """  # noqa: S608 - the column comes from the fixed set above
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [row[0] for row in cursor.fetchall()]
