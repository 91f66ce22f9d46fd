"""Settings shared by every environment. Everything comes from the environment.

SQLite by default so that a fresh clone runs; PostgreSQL when ``DATABASE_URL`` is set.
Celery runs eagerly unless a broker (``CELERY_BROKER_URL`` or ``REDIS_URL``) is set.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from kreditax.settings.env import env, envbool, envfloat, envint, envlist, envpath
from kreditax.settings.schedule import crontab_from

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env("KREDITAX_VAR_DIR", str(BASE_DIR / "var")))
# The product's version, shown on the landing page: pyproject.toml is the one place to change it.
KREDITAX_VERSION: str = tomllib.loads((BASE_DIR / "pyproject.toml").read_text(encoding="utf-8"))[
    "project"
]["version"]

# Secrets whose NAME_FILE cannot be read, by variable: such a secret is empty (never its
# default) and the kreditax.E002 system check reports it; production refuses to start.
KREDITAX_SECRET_FILE_ERRORS: dict[str, str] = {}

SECRET_KEY = env(
    "DJANGO_SECRET_KEY",
    "insecure-development-key-do-not-use-in-production",
    file_errors=KREDITAX_SECRET_FILE_ERRORS,
)
DEBUG = envbool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = envlist("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = envlist("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_api_key",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and Redoc served from our static files
    "django_filters",
    "kreditax.apps.KreditaxConfig",
    "registry",
    "audit",
    "scoring",
    "training",
    "review",
    "monitoring",
    "policy",
    "portfolio",
]

MIDDLEWARE = [
    # First, so that every response (errors, the admin, static files) carries X-Request-ID.
    "scoring.api.request_id.RequestIdMiddleware",
    # Request latency by endpoint for /metrics.
    "kreditax.metrics.RequestMetricsMiddleware",
    # Chunked bodies (411) and bodies over DATA_UPLOAD_MAX_MEMORY_SIZE (413), as JSON.
    "scoring.api.framing.BodyFramingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "scoring.api.security.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "kreditax.urls"
WSGI_APPLICATION = "kreditax.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASE_URL = env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'kreditax.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", 600),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("id", "Bahasa Indonesia")]
TIME_ZONE = env("KREDITAX_TIME_ZONE", "Asia/Jakarta")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

# --- Celery -----------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", "")
CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", REDIS_URL) or None
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE

# --- KreditaX ---------------------------------------------------------------------------
KREDITAX_ARTIFACT_DIR = Path(env("KREDITAX_ARTIFACT_DIR", str(VAR_DIR / "models")))
KREDITAX_DATA_DIR = Path(env("KREDITAX_DATA_DIR", str(VAR_DIR / "data")))
# A keyed HMAC key for personal-data look-ups; production refuses to start without one.
KREDITAX_PII_KEY = env(
    "KREDITAX_PII_KEY", "development-pii-key-not-secret", file_errors=KREDITAX_SECRET_FILE_ERRORS
)
# Threads for training (never all cores: the web workers need theirs) and per web worker.
KREDITAX_TRAINING_THREADS = envint("KREDITAX_TRAINING_THREADS", 1)
KREDITAX_SCORING_THREADS = envint("KREDITAX_SCORING_THREADS", 1)
# How long a worker may keep using the champion it last looked up (a promotion reaches every
# worker within this many seconds); 0 looks it up on every request.
KREDITAX_CHAMPION_REFRESH_SECONDS = envfloat("KREDITAX_CHAMPION_REFRESH_SECONDS", 2.0)
# How long a worker may reuse an API client's row (revocation, rule set) it read; the key's
# hash and expiry are checked on every request. 0 reads the row on every request.
KREDITAX_API_KEY_REFRESH_SECONDS = envfloat("KREDITAX_API_KEY_REFRESH_SECONDS", 2.0)

# /api/schema/ and /api/docs/ open to everyone (True) or to signed-in users only.
KREDITAX_PUBLIC_API_DOCS = envbool("KREDITAX_PUBLIC_API_DOCS", True)

# --- Rate limits ------------------------------------------------------------------------
# Scoring calls (predict, explain, batch) per API client or signed-in user, e.g. "600/min".
KREDITAX_SCORING_RATE = env("KREDITAX_SCORING_RATE", "600/min")
# Failed API-key attempts per source address before its keyed requests get 429.
KREDITAX_API_KEY_FAILURES = env("KREDITAX_API_KEY_FAILURES", "20/min")
# The counts live in Redis when REDIS_URL is set (shared by every worker), else in memory.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "throttle": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "throttle"}
    ),
}

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "registry.api_keys.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["scoring.api.parsers.StrictJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["scoring.api.renderers.FastJSONRenderer"],
    "EXCEPTION_HANDLER": "scoring.api.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "STRICT_JSON": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "KreditaX API",
    "DESCRIPTION": "Credit decisioning for Indonesian lenders.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The docs work without internet: Swagger UI, Redoc and the favicon are the sidecar's
    # static files (served by WhiteNoise), and no schema is sent to the online validator.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "ENUM_NAME_OVERRIDES": {"DecisionEnum": "audit.models.DECISION_CHOICES"},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "scoring.api.schema_docs.champion_application_hook",
    ],
}

# Every line names the request it belongs to (the X-Request-ID of the response; "-" outside
# a request). The filter sits on the handler, so records of every logger get it.
# Log lines: "plain" text (development) or one JSON object per line ("json", production's
# default); both carry the request id.
KREDITAX_LOG_FORMAT = env("KREDITAX_LOG_FORMAT", "plain").strip().lower() or "plain"
if KREDITAX_LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured(
        f"KREDITAX_LOG_FORMAT must be plain or json, got {KREDITAX_LOG_FORMAT!r}."
    )
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "scoring.api.request_id.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "kreditax.logformat.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": KREDITAX_LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env("KREDITAX_LOG_LEVEL", "INFO")},
}
# Fernet keys for the encrypted replay inputs, newest first (comma-separated).
KREDITAX_AUDIT_KEYS = envlist("KREDITAX_AUDIT_KEYS", file_errors=KREDITAX_SECRET_FILE_ERRORS)
# Idempotency keys and request bodies: the largest JSON body a scoring call may send.
KREDITAX_MAX_BODY_BYTES = envint("KREDITAX_MAX_BODY_BYTES", 64 * 1024)
KREDITAX_MAX_BATCH_BODY_BYTES = envint("KREDITAX_MAX_BATCH_BODY_BYTES", 4 * 1024 * 1024)
KREDITAX_MAX_BATCH_ITEMS = envint("KREDITAX_MAX_BATCH_ITEMS", 1000)
# How long an Idempotency-Key's first response is kept for replays (pruned daily).
KREDITAX_IDEMPOTENCY_DAYS = envint("KREDITAX_IDEMPOTENCY_DAYS", 7)
DATA_UPLOAD_MAX_MEMORY_SIZE = KREDITAX_MAX_BATCH_BODY_BYTES + 1024
# Bank clients' own DSR limit when their rule set does not name one.
KREDITAX_BANK_MAX_DSR = envfloat("KREDITAX_BANK_MAX_DSR", 0.35)
# Audit records are kept this many years (Law 8/1997: company documents 10 years).
KREDITAX_RETENTION_YEARS = envint("KREDITAX_RETENTION_YEARS", 10)

# /metrics (Prometheus) answers only requests with "Authorization: Bearer <this token>";
# without a token the endpoint is off (403).
KREDITAX_METRICS_TOKEN = env("KREDITAX_METRICS_TOKEN", "", file_errors=KREDITAX_SECRET_FILE_ERRORS)

# --- Monitoring -----------------------------------------------------------------------------
# PSI bands: stable below WATCH, watch up to ACT, act above (rules of thumb, configurable).
KREDITAX_PSI_WATCH = envfloat("KREDITAX_PSI_WATCH", 0.10)
KREDITAX_PSI_ACT = envfloat("KREDITAX_PSI_ACT", 0.25)
# The default definition applied to observed outcomes and recorded with every report:
# SLIK collectibility at least DEFAULT_KOL, or more than DEFAULT_DPD days past due, observed
# at most DEFAULT_MOB months on book.
KREDITAX_DEFAULT_KOL = envint("KREDITAX_DEFAULT_KOL", 3)
KREDITAX_DEFAULT_DPD = envint("KREDITAX_DEFAULT_DPD", 90)
KREDITAX_DEFAULT_MOB = envint("KREDITAX_DEFAULT_MOB", 12)
# Alerts: approval rate moving more than this many percentage points week on week; realised
# AUC under the version's holdout AUC minus this margin.
KREDITAX_ALERT_APPROVAL_POINTS = envfloat("KREDITAX_ALERT_APPROVAL_POINTS", 10.0)
KREDITAX_ALERT_AUC_MARGIN = envfloat("KREDITAX_ALERT_AUC_MARGIN", 0.05)
# When the daily monitoring snapshot of the previous day runs (crontab, local time).
KREDITAX_MONITORING_CRON = env("KREDITAX_MONITORING_CRON", "30 0 * * *")

# --- Audit trail sealing ------------------------------------------------------------------
# Records younger than this are left for the next seal (a scoring transaction stamps
# created_at before it commits); the beat task seals every minute.
KREDITAX_AUDIT_SEAL_DELAY_SECONDS = envint("KREDITAX_AUDIT_SEAL_DELAY_SECONDS", 120)

# --- Training runs ------------------------------------------------------------------------
# Read here from the environment, so a worker started with only environment variables
# honours them. Seconds between the worker's heartbeat-thread beats (0: no thread).
KREDITAX_TRAINING_HEARTBEAT_SECONDS = envfloat("KREDITAX_TRAINING_HEARTBEAT_SECONDS", 15.0)
# A RUNNING run whose heartbeat is older than this is reaped as "worker lost".
KREDITAX_TRAINING_STALE_SECONDS = envfloat("KREDITAX_TRAINING_STALE_SECONDS", 120.0)
# Least seconds between two progress writes within one stage.
KREDITAX_TRAINING_PROGRESS_SECONDS = envfloat("KREDITAX_TRAINING_PROGRESS_SECONDS", 2.0)
# Seconds before the task gets SoftTimeLimitExceeded (the run ends FAILED), and before the
# worker child is killed (the reaper then fails the run).
KREDITAX_TRAINING_SOFT_TIME_LIMIT = envint("KREDITAX_TRAINING_SOFT_TIME_LIMIT", 4 * 3600)
KREDITAX_TRAINING_TIME_LIMIT = envint("KREDITAX_TRAINING_TIME_LIMIT", 4 * 3600 + 300)
# The scheduled retrain trains on the newest .csv/.parquet file in KREDITAX_RETRAIN_DIR
# (None: nothing to retrain on), with KREDITAX_RETRAIN_SPEC (None: the built-in schema), and
# never promotes: the new version waits for a person. KREDITAX_RETRAIN_CRON is five crontab
# fields in CELERY_TIMEZONE, e.g. "0 2 1 * *" for 02:00 on the 1st; empty: no retrain.
KREDITAX_RETRAIN_DIR = envpath("KREDITAX_RETRAIN_DIR")
KREDITAX_RETRAIN_SPEC = envpath("KREDITAX_RETRAIN_SPEC")
KREDITAX_RETRAIN_ALGORITHM = env("KREDITAX_RETRAIN_ALGORITHM", "xgboost")
KREDITAX_RETRAIN_CRON = env("KREDITAX_RETRAIN_CRON").strip()

# --- Celery beat --------------------------------------------------------------------------
# Tasks are named by string: settings import no app.
CELERY_BEAT_SCHEDULE = {
    "seal-audit-trail": {"task": "audit.tasks.seal_audit_trail", "schedule": 60.0},
    "prune-idempotency-records": {
        "task": "scoring.tasks.prune_idempotency_records",
        "schedule": 24 * 3600.0,
    },
    # Fails RUNNING runs whose worker was lost (see KREDITAX_TRAINING_STALE_SECONDS).
    "training-reap-stale-runs": {
        "task": "training.tasks.reap_stale_training_runs",
        "schedule": 60.0,
    },
    # The previous day's monitoring report per version and client, stored as snapshots.
    "monitoring-daily-snapshot": {
        "task": "monitoring.tasks.snapshot_previous_day",
        "schedule": crontab_from("KREDITAX_MONITORING_CRON", KREDITAX_MONITORING_CRON),
    },
}
if KREDITAX_RETRAIN_CRON:
    CELERY_BEAT_SCHEDULE["training-scheduled-retrain"] = {
        "task": "training.tasks.scheduled_retrain",
        "schedule": crontab_from("KREDITAX_RETRAIN_CRON", KREDITAX_RETRAIN_CRON),
    }
