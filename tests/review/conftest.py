"""Fixtures for review cases: real decisions made by the product through its API services.

The tiny champion of the scoring tests decides; ``decide`` makes a decision in process
(``scoring.services.application_score``, as ``/api/v1/predict`` does) and returns its record.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.contrib.auth.models import Group, User

from audit.models import DecisionRecord
from registry import roles
from registry.models import ApiClient, ModelVersion
from scoring import services as scoring_services
from scoring.services import Endpoint, actor_of, application_score
from tests.scoring.conftest import (  # noqa: F401 - fixtures
    _fresh_model_cache,
    artifacts,
    bank_key,
    champion,
    fintech_key,
    register,
)
from tests.scoring.support import DSR_35, application

#: Risky but within every rule: the tiny model routes it to REVIEW (tests/scoring).
RISKY = application(
    past_delinquencies=6,
    worst_collectibility_24m=5,
    credit_card_utilization=0.99,
    employment_status="UNEMPLOYED",
    work_experience_years=0,
    monthly_income=4_000_000,
    existing_monthly_installments=0,
    loan_amount=10_000_000,
    loan_term_months=12,
    total_existing_debt=200_000_000,
)
#: Over the 30 % repayment-to-income cap of 2026: REJECT by an OJK rule, with a counteroffer.
OVER_CAP = DSR_35
DECISION_DAY = date(2026, 1, 1)

Decide = Callable[..., DecisionRecord]


@pytest.fixture
def decide(
    champion: ModelVersion,  # noqa: F811
    fintech_key: tuple[ApiClient, str],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> Decide:
    """A decision made by the product for ``payload`` (by the fintech client), its record."""
    monkeypatch.setattr(scoring_services, "decision_date", lambda: DECISION_DAY)

    def make(payload: dict[str, Any], client: ApiClient | None = None) -> DecisionRecord:
        result = application_score(
            payload=payload,
            actor=actor_of(client=client or fintech_key[0], user=None),
            endpoint=Endpoint.PREDICT,
            idempotency_key=None,
        )
        return DecisionRecord.objects.get(request_id=result.body["request_id"])

    return make


def officer(username: str, role: str = roles.CREDIT_OFFICER) -> User:
    user = User.objects.create_user(username, password="pw-" + username, is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def ani(db: None) -> User:
    return officer("ani")


@pytest.fixture
def budi(db: None) -> User:
    return officer("budi")


@pytest.fixture
def compliance_user(db: None) -> User:
    return officer("citra", roles.COMPLIANCE_OFFICER)
