"""The Celery application. Broker from REDIS_URL/CELERY_BROKER_URL via Django settings."""

import os
from typing import Any

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kreditax.settings.base")

app = Celery("kreditax")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def _serve_worker_metrics(**_: Any) -> None:
    """Celery workers expose their own metrics on KREDITAX_WORKER_METRICS_PORT (if set),
    summed over the pool's children in prometheus-client's multiprocess mode."""
    port = os.environ.get("KREDITAX_WORKER_METRICS_PORT", "").strip()
    if not port:
        return
    from prometheus_client import REGISTRY, CollectorRegistry, start_http_server
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    start_http_server(int(port), registry=registry)
