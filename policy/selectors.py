"""Reads of the policy app: the recorded decisions a simulation re-decides, and its runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import QuerySet

from audit.models import DecisionRecord
from policy.models import SimulationRun
from policy.simulation import SimulationRequest


@dataclass(frozen=True)
class RecordedRows:
    """The recorded decisions of a request as columns, oldest first."""

    request_ids: list[Any]
    decision_dates: list[date]
    model_version_ids: list[int]
    rule_set_versions: list[str]
    decisions: list[str]
    pds: list[float]
    scores: list[int]
    grades: list[str]
    clients: list[str]
    failed_rules: list[list[str]]
    tokens: list[str]

    def __len__(self) -> int:
        return len(self.request_ids)


_COLUMNS = (
    "request_id",
    "decision_date",
    "model_version_id",
    "rule_set_version",
    "decision",
    "probability_of_default",
    "credit_score",
    "risk_grade",
    "client_name",
    "failed_rules",
    "inputs_encrypted",
)


def simulation_records(*, request: SimulationRequest) -> RecordedRows:
    """The decisions recorded from ``date_from`` to ``date_to`` (decision dates, inclusive),
    of one client (its name), loan purpose or province when asked (filtered in the database
    on the masked application, where both are kept as they are)."""
    records = DecisionRecord.objects.filter(
        decision_date__gte=request.date_from, decision_date__lte=request.date_to
    )
    if request.client:
        records = records.filter(client_name=request.client)
    if request.purpose:
        records = records.filter(application_masked__loan_purpose=request.purpose)
    if request.province:
        records = records.filter(application_masked__province=request.province)
    rows = list(records.order_by("created_at", "id").values_list(*_COLUMNS))
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in _COLUMNS]
    return RecordedRows(*(list(column) for column in columns))


def simulation_run_list() -> QuerySet[SimulationRun]:
    return SimulationRun.objects.select_related("rule_set", "model_version", "requested_by")
