"""The Celery application. Broker from REDIS_URL/CELERY_BROKER_URL via Django settings."""

import os
from typing import Any

from celery import Celery
from celery.signals import before_task_publish, task_postrun, task_prerun, worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kreditax.settings.base")

app = Celery("kreditax")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@before_task_publish.connect
def _carry_request_id(headers: dict[str, Any] | None = None, **_: Any) -> None:
    """A task queued while a request is handled carries the request's id (its logs too)."""
    from scoring.api.request_id import task_headers_add

    if headers is not None:
        task_headers_add(headers)


@task_prerun.connect
def _adopt_request_id(task: Any = None, **_: Any) -> None:
    from scoring.api.request_id import TASK_HEADER, task_request_id_adopt

    request = getattr(task, "request", None)
    task_request_id_adopt(getattr(request, TASK_HEADER, None))


@task_postrun.connect
def _forget_request_id(**_: Any) -> None:
    from scoring.api.request_id import task_request_id_forget

    task_request_id_forget()


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
