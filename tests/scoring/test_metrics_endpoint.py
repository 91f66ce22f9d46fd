"""``/metrics``: refused without the bearer token, and its counters after a few requests."""

from __future__ import annotations

from typing import Any

from django.test import Client
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.test import APIClient

from audit.models import DecisionRecord
from monitoring.models import MonitoringAlert, MonitoringSnapshot
from registry.models import ModelVersion
from review.models import ReviewCase
from tests.scoring.support import application

TOKEN = "s3cret-metrics-token"


def _scrape(client: Client | None = None) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = (client or Client()).get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def test_without_a_configured_token_the_metrics_are_off(db: None, settings: Any) -> None:
    settings.KREDITAX_METRICS_TOKEN = ""
    response = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer ")
    assert response.status_code == 403
    assert b"kreditax_" not in response.content


def test_a_request_without_the_right_token_is_refused(db: None, settings: Any) -> None:
    settings.KREDITAX_METRICS_TOKEN = TOKEN
    for header in (None, "Bearer wrong", TOKEN):
        headers = {} if header is None else {"Authorization": header}
        response = Client().get("/metrics", headers=headers)
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
        assert b"kreditax_" not in response.content


def test_the_counters_follow_decisions_replays_and_requests(
    settings: Any, champion: ModelVersion, api: APIClient
) -> None:
    settings.KREDITAX_METRICS_TOKEN = TOKEN
    before = _scrape()
    for number in range(3):
        response = api.post(
            "/api/v1/predict",
            application(application_id=f"M-{number}"),
            format="json",
            HTTP_IDEMPOTENCY_KEY="key-1" if number == 2 else f"key-{number + 10}",
        )
        assert response.status_code == 200
    replay = api.post(
        "/api/v1/predict",
        application(application_id="M-2"),
        format="json",
        HTTP_IDEMPOTENCY_KEY="key-1",
    )
    assert replay["Idempotent-Replayed"] == "true"
    after = _scrape()

    def delta(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    recorded = list(DecisionRecord.objects.values_list("decision", flat=True))
    assert len(recorded) == 3
    for decision in {"APPROVE", "REVIEW", "REJECT"}:
        labels = {"decision": decision, "model_version": champion.label, "client": "los-fintech"}
        assert delta("kreditax_decisions_total", **labels) == recorded.count(decision)
    assert delta("kreditax_probability_of_default_count", model_version=champion.label) == 3
    assert delta("kreditax_idempotent_replays_total") == 1
    latency = {"endpoint": "api:predict", "method": "POST", "status": "200"}
    assert delta("kreditax_request_duration_seconds_count", **latency) == 4
    assert delta("kreditax_audit_write_failures_total") == 0
    assert after[("kreditax_training_runs", (("status", "SUCCEEDED"),))] == 0
    # Each REVIEW decision opened a review case, none resolved yet.
    open_cases = after[("kreditax_review_cases_open", (("kind", "REVIEW"),))]
    assert open_cases == recorded.count("REVIEW") == ReviewCase.objects.count()
    assert after[("kreditax_review_cases_open", (("kind", "OBJECTION"),))] == 0


def test_alerts_are_counted_by_kind_and_state(settings: Any, champion: ModelVersion) -> None:
    settings.KREDITAX_METRICS_TOKEN = TOKEN
    snapshot = MonitoringSnapshot.objects.create(
        day="2026-11-02", model_version=champion, model_label=champion.label,
        decisions=0, approved=0, report={},
    )  # fmt: skip
    for subject in ("score", "monthly_income"):
        MonitoringAlert.objects.create(
            snapshot=snapshot, kind="PSI_ACT", subject=subject, value=0.3, threshold=0.25,
            message="-",
        )  # fmt: skip
    scraped = _scrape()
    assert scraped[("kreditax_monitoring_alerts", (("kind", "PSI_ACT"), ("state", "open")))] == 2
    assert scraped[("kreditax_monitoring_alerts", (("kind", "AUC_DROP"), ("state", "open")))] == 0
