"""/predict: the decision, the rules of the decision date, counteroffers, reasons, query budget."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import DecisionRecord
from credit_ml.features import annuity_installment
from credit_ml.schema import INDONESIAN_SCHEMA, Unit
from registry.models import ApiClient, ModelVersion, RuleSet
from scoring.examples import RULE_REJECTED_APPLICATION
from tests.scoring.support import DSR_35, VALID, application, keyed

URL = "/api/v1/predict"
OnDate = Callable[[date], None]
DSR_RULE = "OJK_MAX_REPAYMENT_TO_INCOME"
#: Risky but within every rule: the tiny model routes it to REVIEW.
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


def predict(api: APIClient, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post(URL, body, format="json")
    assert response.status_code == 200, response.content
    data: dict[str, Any] = response.json()
    return data


def dsr_rule(body: dict[str, Any], code: str = DSR_RULE) -> dict[str, Any]:
    return next(rule for rule in body["policy"]["rules"] if rule["code"] == code)


def dsr(values: dict[str, Any], *, amount: float, term: int) -> float:
    installment = float(annuity_installment(amount, values["annual_interest_rate"], term))
    return float((values["existing_monthly_installments"] + installment) / values["monthly_income"])


# ---- the decision and its record --------------------------------------------------------


def test_a_valid_application_is_decided_and_recorded_before_the_answer(
    api: APIClient, champion: ModelVersion, fintech_key: tuple[ApiClient, str], on_date: OnDate
) -> None:
    on_date(date(2026, 3, 2))
    body = predict(api, VALID)
    assert set(body) == {
        "request_id",
        "application_id",
        "model_version",
        "rule_set_version",
        "scored_at",
        "probability_of_default",
        "credit_score",
        "risk_grade",
        "decision",
        "reasons",
        "policy",
        "counteroffer",
    }
    assert body["application_id"] == "DEMO-0001"
    assert (body["model_version"], body["rule_set_version"]) == ("m-scoring-a", "fintech-2026.2")
    assert body["decision"] == "APPROVE"
    assert 250 <= body["credit_score"] <= 900
    assert body["policy"]["decision_date"] == "2026-03-02"
    record = DecisionRecord.objects.get()
    assert str(record.request_id) == body["request_id"]
    assert uuid.UUID(body["request_id"]).version == 4
    assert record.endpoint == "predict"
    assert (record.client_id, record.client_name) == (fintech_key[0].pk, "los-fintech")
    assert (record.model_version_id, record.model_label) == (champion.pk, "m-scoring-a")
    assert record.decision_date == date(2026, 3, 2)
    assert record.decision == body["decision"]
    assert record.credit_score == body["credit_score"]
    assert record.failed_rules == []


# ---- rules of the decision date -----------------------------------------------------------


def test_a_decision_dated_2025_uses_the_40_percent_cap(
    api: APIClient, champion: ModelVersion, on_date: OnDate
) -> None:
    on_date(date(2025, 6, 1))
    body = predict(api, DSR_35)
    rule = dsr_rule(body)
    assert (rule["limit"], rule["effective_from"], rule["passed"]) == (0.4, "2025-01-01", True)
    assert rule["actual"] == pytest.approx(0.3497, abs=1e-4)
    assert body["policy"]["passed"] is True
    assert body["decision"] == "APPROVE"
    assert body["counteroffer"] is None
    record = DecisionRecord.objects.get()
    assert (record.decision_date, record.failed_rules) == (date(2025, 6, 1), [])
    assert (record.rule_set_version, record.model_label) == ("fintech-2026.2", "m-scoring-a")


def test_the_same_application_dated_2026_is_rejected_by_the_30_percent_cap(
    api: APIClient, champion: ModelVersion, on_date: OnDate
) -> None:
    on_date(date(2026, 1, 1))
    body = predict(api, DSR_35)
    rule = dsr_rule(body)
    assert (rule["limit"], rule["effective_from"], rule["passed"]) == (0.3, "2026-01-01", False)
    assert body["policy"]["passed"] is False
    assert body["decision"] == "REJECT"
    assert body["counteroffer"] is not None
    assert body["counteroffer"]["cap"] == 0.3
    record = DecisionRecord.objects.get()
    assert record.decision == "REJECT"
    assert record.failed_rules == [DSR_RULE]
    assert (record.rule_set_version, record.model_label) == ("fintech-2026.2", "m-scoring-a")
    assert record.counteroffer == body["counteroffer"]


def test_the_last_day_of_2025_still_uses_the_40_percent_cap(
    api: APIClient, champion: ModelVersion, on_date: OnDate
) -> None:
    on_date(date(2025, 12, 31))
    assert dsr_rule(predict(api, DSR_35))["limit"] == 0.4


def test_the_decision_date_is_the_date_in_jakarta_not_in_utc(
    api: APIClient, champion: ModelVersion, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 17:30 UTC on 31 December 2025 is 00:30 WIB on 1 January 2026: the 30 % cap applies.
    instant = datetime(2025, 12, 31, 17, 30, tzinfo=UTC)
    monkeypatch.setattr(timezone, "now", lambda: instant)
    body = predict(api, DSR_35)
    assert body["policy"]["decision_date"] == "2026-01-01"
    assert dsr_rule(body)["limit"] == 0.3
    assert body["decision"] == "REJECT"
    assert DecisionRecord.objects.get().decision_date == date(2026, 1, 1)


def test_a_bank_client_is_decided_under_its_own_35_percent_limit(
    bank_api: APIClient, champion: ModelVersion, on_date: OnDate
) -> None:
    on_date(date(2026, 1, 1))
    body = predict(bank_api, DSR_35)
    assert body["rule_set_version"] == "bank-2026.2-dsr35"
    assert [rule["code"] for rule in body["policy"]["rules"]] == ["BANK_MAX_DSR"]
    rule = dsr_rule(body, "BANK_MAX_DSR")
    assert (rule["limit"], rule["passed"]) == (0.35, True)
    assert body["decision"] == "APPROVE"
    assert DecisionRecord.objects.get().rule_set_version == "bank-2026.2-dsr35"


def test_a_bank_client_rejects_above_its_limit(
    bank_api: APIClient, champion: ModelVersion, on_date: OnDate
) -> None:
    on_date(date(2026, 1, 1))
    body = predict(bank_api, application(existing_monthly_installments=1_800_000))
    assert body["decision"] == "REJECT"
    assert dsr_rule(body, "BANK_MAX_DSR")["passed"] is False
    assert body["counteroffer"]["cap"] == 0.35
    assert DecisionRecord.objects.get().failed_rules == ["BANK_MAX_DSR"]


# ---- counteroffers ------------------------------------------------------------------------


def test_the_counteroffer_amount_meets_the_cap_and_100_000_more_does_not(
    api: APIClient, champion: ModelVersion, on_date: OnDate
) -> None:
    on_date(date(2026, 1, 1))
    offer = predict(api, DSR_35)["counteroffer"]
    term = DSR_35["loan_term_months"]
    assert offer["requested_amount"] == 50_000_000
    assert offer["max_amount"] == 38_000_000
    assert offer["max_amount"] % 100_000 == 0
    assert dsr(DSR_35, amount=offer["max_amount"], term=term) <= 0.3
    assert dsr(DSR_35, amount=offer["max_amount"] + 100_000, term=term) > 0.3
    assert offer["max_amount_dsr"] == pytest.approx(
        dsr(DSR_35, amount=offer["max_amount"], term=term), abs=1e-12
    )


def test_the_counteroffer_term_meets_the_cap_and_one_month_less_does_not(
    api: APIClient, champion: ModelVersion, on_date: OnDate
) -> None:
    on_date(date(2026, 1, 1))
    # fintech-2026.2 proposes terms up to 24 months: 34 are too long, so no term is offered.
    assert predict(api, DSR_35)["counteroffer"]["min_term_months"] is None
    old_set = RuleSet.objects.get(version="fintech-2026.1")  # terms up to the schema maximum
    _client, key = ApiClient.objects.create_key(name="los-2026-1", rule_set=old_set)
    offer = predict(keyed(key), DSR_35)["counteroffer"]
    amount = DSR_35["loan_amount"]
    assert offer["min_term_months"] == 34
    assert dsr(DSR_35, amount=amount, term=offer["min_term_months"]) <= 0.3
    assert dsr(DSR_35, amount=amount, term=offer["min_term_months"] - 1) > 0.3


def test_no_counteroffer_when_another_rule_also_fails(
    api: APIClient, champion: ModelVersion, on_date: OnDate
) -> None:
    on_date(date(2026, 1, 1))
    body = predict(api, {**DSR_35, "active_lending_platforms": 3})
    assert body["decision"] == "REJECT"
    assert body["counteroffer"] is None
    assert DecisionRecord.objects.get().failed_rules == [DSR_RULE, "OJK_MAX_LENDING_PLATFORMS"]


def test_no_counteroffer_when_every_rule_passes(
    api: APIClient, champion: ModelVersion, on_date: OnDate
) -> None:
    on_date(date(2026, 1, 1))
    assert predict(api, VALID)["counteroffer"] is None


# ---- reasons ----------------------------------------------------------------------------

FIELDS = set(INDONESIAN_SCHEMA.names) | {d.name for d in INDONESIAN_SCHEMA.derived}
RUPIAH_FIELDS = {
    s.name for s in INDONESIAN_SCHEMA.fields if s.unit in (Unit.RUPIAH, Unit.RUPIAH_PER_MONTH)
}
RUPIAH_FIELDS |= {d.name for d in INDONESIAN_SCHEMA.derived if d.unit is Unit.RUPIAH_PER_MONTH}
#: A standardised or raw model number: a bare decimal with many places, or an exponent.
RAW_NUMBER = re.compile(r"^-?\d+\.\d{3,}$|e[+-]?\d")


def assert_readable(reasons: list[dict[str, Any]]) -> None:
    for reason in reasons:
        assert set(reason["field"].split(",")) <= FIELDS  # a rule's reason: the fields it reads
        assert "=" not in reason["field"]
        for key in ("value_id", "value_en", "text_id", "text_en"):
            assert reason[key]
            assert not RAW_NUMBER.search(reason[key]), reason
        if reason["field"] in RUPIAH_FIELDS:
            assert reason["value_id"].startswith("Rp ")
            assert reason["value_en"].startswith("IDR ")


@pytest.mark.parametrize(
    ("body", "day", "decision"),
    [(RISKY, date(2026, 1, 1), "REVIEW"), (DSR_35, date(2026, 1, 1), "REJECT")],
    ids=["review", "reject"],
)
def test_review_and_reject_reasons_raise_the_risk_largest_first(
    body: dict[str, Any],
    day: date,
    decision: str,
    api: APIClient,
    champion: ModelVersion,
    on_date: OnDate,
) -> None:
    on_date(day)
    answer = predict(api, body)
    assert answer["decision"] == decision
    rules = [r["code"] for r in answer["reasons"] if r["contribution"] is None]
    # A failed rule is the first reason (no contribution), model factors fill the rest.
    assert rules == (["OJK_MAX_REPAYMENT_TO_INCOME"] if decision == "REJECT" else [])
    assert [r["code"] for r in answer["reasons"][: len(rules)]] == rules
    contributions = [r["contribution"] for r in answer["reasons"][len(rules) :]]
    assert 1 <= len(rules) + len(contributions) <= 4
    assert all(value > 0 for value in contributions)
    assert contributions == sorted(contributions, reverse=True)
    assert_readable(answer["reasons"])
    assert DecisionRecord.objects.get().reasons == answer["reasons"]


def test_approve_reasons_lowered_the_risk_largest_first(
    api: APIClient, champion: ModelVersion
) -> None:
    answer = predict(api, VALID)
    assert answer["decision"] == "APPROVE"
    contributions = [reason["contribution"] for reason in answer["reasons"]]
    assert 1 <= len(contributions) <= 4
    assert all(value < 0 for value in contributions)
    assert contributions == sorted(contributions)
    assert_readable(answer["reasons"])


def test_a_rupiah_reason_quotes_the_amount_in_rupiah(
    api: APIClient, champion: ModelVersion
) -> None:
    reasons = {r["field"]: r for r in predict(api, VALID)["reasons"]}
    assert reasons["disposable_income"]["value_id"] == "Rp 9.003.795"
    assert reasons["disposable_income"]["value_en"] == "IDR 9,003,795"


# ---- the hot path's query budget -------------------------------------------------------------


def test_one_prediction_costs_five_queries(
    api: APIClient, champion: ModelVersion, django_assert_num_queries: Any
) -> None:
    api.post(URL, VALID, format="json")  # warm the model cache: loading it is not the hot path
    # 1 SELECT scoring_apiclient JOIN scoring_ruleset   (the key, with its rule set)
    # 2 SELECT training_modelalias JOIN modelversion    (which version is champion now)
    # 3 SAVEPOINT                                       (the audit transaction; BEGIN in prod)
    # 4 INSERT audit_decisionrecord
    # 5 RELEASE SAVEPOINT                               (COMMIT in production)
    with django_assert_num_queries(5):
        assert api.post(URL, VALID, format="json").status_code == 200


def test_one_prediction_with_an_idempotency_key_costs_seven_queries(
    api: APIClient, champion: ModelVersion, django_assert_num_queries: Any
) -> None:
    api.post(URL, VALID, format="json")
    # the five above, plus: SELECT scoring_idempotencyrecord (is it a replay?) before the
    # champion look-up, and INSERT scoring_idempotencyrecord inside the savepoint
    with django_assert_num_queries(7):
        assert api.post(URL, VALID, format="json", HTTP_IDEMPOTENCY_KEY="q-1").status_code == 200


def test_the_decision_time_is_given_in_jakarta_time(api: APIClient, champion: ModelVersion) -> None:
    body = api.post(URL, VALID, format="json").json()

    scored_at = datetime.fromisoformat(body["scored_at"])
    assert scored_at.utcoffset() == timedelta(hours=7)
    assert DecisionRecord.objects.get().created_at == scored_at


def test_the_demos_rule_rejected_example_is_rejected_by_the_cap_with_a_counteroffer(
    api: APIClient, champion: ModelVersion
) -> None:
    response = api.post("/api/v1/predict", RULE_REJECTED_APPLICATION, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["decision"] == "REJECT"
    failed = [rule["code"] for rule in body["policy"]["rules"] if not rule["passed"]]
    assert failed == ["OJK_MAX_REPAYMENT_TO_INCOME"]
    assert body["counteroffer"]["max_amount"] < RULE_REJECTED_APPLICATION["loan_amount"]
