"""``/metrics`` for Prometheus, behind a bearer token, and the request-latency middleware.

The token comes from ``KREDITAX_METRICS_TOKEN`` (or ``..._FILE``); without one the endpoint
answers 403 to everyone (metrics are off). Counters and histograms are defined in
``registry.metrics``; the gauges read from the database at scrape time (training runs by
status, monitoring alerts by kind, open review cases by kind) are collected here, where
every app may be imported.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Callable, Iterator

from django.conf import settings
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from monitoring.models import MonitoringAlert
from registry.metrics import REQUEST_SECONDS
from review.models import ReviewCase
from training.models import TrainingRun


class DatabaseCollector(Collector):
    """Gauges counted in the database when Prometheus scrapes."""

    def collect(self) -> Iterator[Metric]:
        runs = GaugeMetricFamily(
            "kreditax_training_runs", "Training runs by status.", labels=["status"]
        )
        counted = dict(TrainingRun.objects.order_by().values_list("status").annotate(n=Count("id")))
        for status in TrainingRun.Status.values:
            runs.add_metric([status], counted.get(status, 0))
        yield runs
        alerts = GaugeMetricFamily(
            "kreditax_monitoring_alerts",
            "Monitoring alerts by kind and state.",
            labels=["kind", "state"],
        )
        rows = (
            MonitoringAlert.objects.order_by()
            .annotate(is_open=Q(acknowledged_at__isnull=True))
            .values_list("kind", "is_open")
            .annotate(n=Count("id"))
        )
        found = {(kind, "open" if is_open else "acknowledged"): n for kind, is_open, n in rows}
        for kind in MonitoringAlert.Kind.values:
            for state in ("open", "acknowledged"):
                alerts.add_metric([kind, state], found.get((kind, state), 0))
        yield alerts
        cases = GaugeMetricFamily(
            "kreditax_review_cases_open",
            "Review cases not yet resolved (open, claimed or awaiting a second officer), by kind.",
            labels=["kind"],
        )
        unresolved = dict(
            ReviewCase.objects.exclude(status=ReviewCase.Status.RESOLVED)
            .order_by()
            .values_list("kind")
            .annotate(n=Count("id"))
        )
        for kind in ReviewCase.Kind.values:
            cases.add_metric([kind], unresolved.get(kind, 0))
        yield cases


def _exposition() -> bytes:
    """Every worker's counters in multiprocess mode, else this process's; then the gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        counters = CollectorRegistry()
        MultiProcessCollector(counters)  # type: ignore[no-untyped-call]
    else:
        counters = REGISTRY
    gauges = CollectorRegistry()
    gauges.register(DatabaseCollector())
    return generate_latest(counters) + generate_latest(gauges)


def _authorised(request: HttpRequest) -> bool:
    token = settings.KREDITAX_METRICS_TOKEN
    sent = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())


def metrics_view(request: HttpRequest) -> HttpResponse:
    """The metrics in Prometheus' text format, for a request carrying the bearer token."""
    if not settings.KREDITAX_METRICS_TOKEN:
        return HttpResponse("Metrics are off: set KREDITAX_METRICS_TOKEN.\n", status=403,
                            content_type="text/plain")  # fmt: skip
    if not _authorised(request):
        response = HttpResponse(
            "A bearer token is needed.\n", status=401, content_type="text/plain"
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(_exposition(), content_type=CONTENT_TYPE_LATEST)


class RequestMetricsMiddleware:
    """Observes every request's duration by endpoint (the URL pattern's name, never the path
    with its ids), method and status."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        endpoint = (match.view_name if match is not None else "") or "unmatched"
        REQUEST_SECONDS.labels(endpoint, request.method or "", str(response.status_code)).observe(
            time.perf_counter() - started
        )
        return response
