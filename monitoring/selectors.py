"""Reading what monitoring needs from the audit trail: a period's decisions as columns.

A period is a range of decision dates (Asia/Jakarta, as recorded), both ends included.
Each decision's application fields come from its encrypted model inputs (identity fields
were never in them), decrypted in memory only for the computation.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from django.db.models import QuerySet

from audit.crypto import decrypt_inputs
from audit.models import DecisionRecord
from registry.models import ModelVersion
from registry.selectors import champion_version, model_version_get

#: The columns of a period's decision frame besides the application fields.
COLUMNS = (
    "request_id",
    "decision_date",
    "client_name",
    "decision",
    "probability_of_default",
    "credit_score",
    "risk_grade",
    "failed_rules",
    "reason_codes",
    "contributions",
)


class MonitoringError(ValueError):
    """A report cannot be made (no such version, no champion); the message says why."""


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise MonitoringError(f"The period ends ({self.end}) before it starts ({self.start}).")


def monitored_version(*, label: str | None) -> ModelVersion:
    """The named version, or the champion; ``MonitoringError`` when there is none."""
    if label:
        try:
            return model_version_get(label=label)
        except ModelVersion.DoesNotExist:
            raise MonitoringError(f"No model version {label!r}.") from None
    version = champion_version()
    if version is None:
        raise MonitoringError("There is no champion; name a model version.")
    return version


def period_records(
    *, version: ModelVersion, period: Period, client: str | None = None
) -> QuerySet[DecisionRecord]:
    records = DecisionRecord.objects.filter(
        model_version=version, decision_date__gte=period.start, decision_date__lte=period.end
    )
    return records.filter(client_name=client) if client else records


def period_frame(
    *, version: ModelVersion, period: Period, client: str | None = None
) -> pd.DataFrame:
    """One row per decision of ``version`` in ``period`` (optionally one client's): the
    ``COLUMNS`` and, prefixed ``field:``, every application field the model received."""
    rows = period_records(version=version, period=period, client=client).values_list(
        "request_id",
        "decision_date",
        "client_name",
        "decision",
        "probability_of_default",
        "credit_score",
        "risk_grade",
        "failed_rules",
        "reasons",
        "attributions",
        "inputs_encrypted",
    )
    data = [_row(*row) for row in rows.iterator(chunk_size=2000)]
    return pd.DataFrame(data) if data else pd.DataFrame(columns=list(COLUMNS))


def _row(
    request_id: uuid.UUID,
    decision_date: date,
    client_name: str,
    decision: str,
    pd_value: float,
    score: int,
    grade: str,
    failed_rules: list[str],
    reasons: list[dict[str, Any]],
    attributions: dict[str, Any],
    inputs_encrypted: str,
) -> dict[str, Any]:
    inputs = decrypt_inputs(inputs_encrypted)
    return {
        "request_id": request_id,
        "decision_date": decision_date,
        "client_name": client_name,
        "decision": decision,
        "probability_of_default": pd_value,
        "credit_score": score,
        "risk_grade": grade,
        "failed_rules": list(failed_rules),
        "reason_codes": [str(reason.get("code", "")) for reason in reasons],
        "contributions": dict(attributions.get("contributions", {})),
        **{f"field:{name}": value for name, value in inputs.items()},
    }
