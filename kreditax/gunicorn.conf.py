"""gunicorn settings from the environment. Sync workers: scoring is CPU-bound."""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
# The access log carries method, path, status and timing only: no bodies, no query strings.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
