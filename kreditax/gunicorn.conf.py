"""gunicorn settings from the environment.

Scoring is CPU-bound, so each worker runs one request at a time. ``sync`` workers (the
default) close the connection after each response; ``GUNICORN_WORKER_CLASS=gthread`` keeps
connections alive, which lowers latency for one client at a time (p50 2.40 ms instead of
2.67 ms at concurrency 1 here) but gave a longer tail at concurrency 16 (p99 61 ms instead
of 31 ms) and slower batches (benchmarks/README.md).
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
# Header limits (gunicorn's largest); deploy/nginx/kreditax.conf refuses longer ones first,
# in the JSON error format.
limit_request_line = 8190
limit_request_field_size = 8190
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
# The access log carries method, path, status and timing only: no bodies, no query strings;
# and the request id of the response header, as the application's log lines do.
access_log_format = '%(h)s [%({x-request-id}o)s] "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
# With JSON logs (KREDITAX_LOG_FORMAT, production's default) the access line is one JSON
# object too (kreditax.gunicorn_logging).
_production = os.environ.get("DJANGO_SETTINGS_MODULE", "").endswith(".production")
_log_format = os.environ.get("KREDITAX_LOG_FORMAT", "").strip().lower()
if _log_format == "json" or (_production and not _log_format):
    logger_class = "kreditax.gunicorn_logging.JsonAccessLogger"


def child_exit(server: object, worker: object) -> None:
    """A worker's metrics files are marked dead when it exits (prometheus-client's
    multiprocess mode, on when PROMETHEUS_MULTIPROC_DIR is set)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined,no-untyped-call]
