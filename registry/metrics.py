"""Service metrics in Prometheus form, defined once here (the lowest app layer) so that every
app may count what it does; ``kreditax.metrics`` serves them on ``/metrics``.

Counters are per process. Under gunicorn with several workers set ``PROMETHEUS_MULTIPROC_DIR``
to an empty writable directory (prometheus-client's multiprocess mode) so that the scrape
sums every worker. Labels never carry personal data: a decision's outcome, the model
version's label and the API client's name only.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

#: Seconds; a scoring call is tens of milliseconds, a batch or an admin page up to seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
PD_BUCKETS = (0.01, 0.02, 0.05, 0.08, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0)

REQUEST_SECONDS = Histogram(
    "kreditax_request_duration_seconds",
    "Time to answer a request, by endpoint (the URL pattern's name), method and status.",
    ["endpoint", "method", "status"],
    buckets=LATENCY_BUCKETS,
)
DECISIONS = Counter(
    "kreditax_decisions",
    "Decisions recorded, by outcome, model version and API client.",
    ["decision", "model_version", "client"],
)
PD = Histogram(
    "kreditax_probability_of_default",
    "Probabilities of default of the recorded decisions.",
    ["model_version"],
    buckets=PD_BUCKETS,
)
AUDIT_WRITE_FAILURES = Counter(
    "kreditax_audit_write_failures", "Decisions refused because their audit record failed."
)
IDEMPOTENT_REPLAYS = Counter(
    "kreditax_idempotent_replays", "Answers replayed for a repeated Idempotency-Key."
)
CHAMPION_RELOADS = Counter(
    "kreditax_champion_loads", "Model versions loaded (and verified) into a process's cache."
)


def decisions_count(*, rows: list[tuple[str, float, str, str]]) -> None:
    """Count recorded decisions: (decision, PD, model label, client name) each."""
    for decision, pd_value, model_label, client in rows:
        DECISIONS.labels(decision, model_label, client).inc()
        PD.labels(model_label).observe(pd_value)
