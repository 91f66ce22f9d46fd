"""Settings shared by every environment. Everything comes from the environment.

SQLite by default so that a fresh clone runs; PostgreSQL when ``DATABASE_URL`` is set.
Celery runs eagerly unless a broker (``CELERY_BROKER_URL`` or ``REDIS_URL``) is set.
"""

from __future__ import annotations

import ipaddress
import secrets
import tomllib
from datetime import timedelta
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
if "DJANGO_SECRET_KEY" in KREDITAX_SECRET_FILE_ERRORS:
    # Not empty, and never the default: a throw-away key for this process, because simplejwt
    # reads SECRET_KEY when it is imported (Django raises on an empty one), which would end
    # `manage.py check` with a traceback before kreditax.E002 could report the file.
    SECRET_KEY = secrets.token_urlsafe(50)
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
    "rest_framework_simplejwt.token_blacklist",
    "axes",
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
    # REMOTE_ADDR is the client's, not the reverse proxy's (KREDITAX_TRUSTED_PROXIES).
    "scoring.api.client_address.ClientAddressMiddleware",
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
    # Last (django-axes): turns a locked-out sign-in into the lockout answer; and a sign-in
    # while the lockout cache is unreachable into a 503.
    "axes.middleware.AxesMiddleware",
    "kreditax.logins.SignInUnavailableMiddleware",
]

# django-axes first: it refuses a locked-out person before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
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
# The review pages' Indonesian (compiled .mo files are committed: no gettext needed to run).
LOCALE_PATHS = [BASE_DIR / "locale"]
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
# Sending a task while the broker is down fails within about this many seconds (connection
# timeout, then two quick retries), so that starting a training run answers 503 at once.
KREDITAX_BROKER_TIMEOUT_SECONDS = envfloat("KREDITAX_BROKER_TIMEOUT_SECONDS", 2.0)
CELERY_BROKER_CONNECTION_TIMEOUT = KREDITAX_BROKER_TIMEOUT_SECONDS
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": KREDITAX_BROKER_TIMEOUT_SECONDS}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}

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
# Reverse proxies (addresses or networks) whose X-Real-IP header names the client, e.g.
# "127.0.0.1" for nginx on the same host; empty: REMOTE_ADDR is the peer's address.
KREDITAX_TRUSTED_PROXIES = envlist("KREDITAX_TRUSTED_PROXIES", "")
for _entry in KREDITAX_TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_entry, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"KREDITAX_TRUSTED_PROXIES must list addresses or networks, got {_entry!r}."
        ) from None
# Failed API-key attempts per source address before its keyed requests get 429.
KREDITAX_API_KEY_FAILURES = env("KREDITAX_API_KEY_FAILURES", "20/min")
# Failed sign-ins (the admin's and the token endpoint's) before a lockout, and its length in
# minutes. Both the name signed in with and the source address (REMOTE_ADDR) are counted:
# either reaching the limit locks it out; a failure during the lockout starts it again.
KREDITAX_LOGIN_FAILURE_LIMIT = envint("KREDITAX_LOGIN_FAILURE_LIMIT", 5)
KREDITAX_LOGIN_COOLOFF_MINUTES = envint("KREDITAX_LOGIN_COOLOFF_MINUTES", 15)
# The counts live in Redis when REDIS_URL is set (shared by every worker), else in memory.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "throttle": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # A Redis that does not answer costs a request at most this long (then the limit
            # is skipped, registry.api_keys.counter_bump), never a hung worker.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "throttle"}
    ),
}

# --- People's tokens (simplejwt): see registry/people_tokens.py -------------------------
KREDITAX_JWT_ACCESS_MINUTES = envint("KREDITAX_JWT_ACCESS_MINUTES", 5)
KREDITAX_JWT_REFRESH_HOURS = envint("KREDITAX_JWT_REFRESH_HOURS", 8)
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=KREDITAX_JWT_ACCESS_MINUTES),
    "REFRESH_TOKEN_LIFETIME": timedelta(hours=KREDITAX_JWT_REFRESH_HOURS),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "UPDATE_LAST_LOGIN": False,
    "USER_AUTHENTICATION_RULE": "registry.people_tokens.person_may_hold_tokens",
}

# --- Sign-in lockout (django-axes), counted in the throttle cache ------------------------
AXES_HANDLER = "kreditax.logins.LockoutRecordingHandler"
AXES_CACHE = "throttle"
AXES_FAILURE_LIMIT = KREDITAX_LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=KREDITAX_LOGIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "kreditax.logins.lockout_response"
# The source address is REMOTE_ADDR (set by the reverse proxy), never a header a client can
# write: django-ipware, which would read X-Forwarded-For, is not installed.
# No admin pages of its own: lockouts are kept in the cache and recorded in the access log.
AXES_ENABLE_ADMIN = False

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "registry.api_keys.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
        "registry.people_tokens.PersonJWTAuthentication",
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
    "ENUM_NAME_OVERRIDES": {
        "DecisionEnum": "audit.models.DECISION_CHOICES",
        "EngineEnum": "registry.models.ENGINE_CHOICES",
        # Training, portfolio and simulation runs share one set of states.
        "RunStatusEnum": "registry.models.RunStatus",
    },
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

# --- Human review, objections, decision letters -------------------------------------------
# Hours a review case may stay open, per kind (objections: 3 x 24 h, UU PDP Art. 10).
KREDITAX_REVIEW_DEADLINE_HOURS = {
    "REVIEW": envint("KREDITAX_REVIEW_HOURS", 48),
    "OBJECTION": envint("KREDITAX_OBJECTION_HOURS", 72),
    "SAMPLE": envint("KREDITAX_SAMPLE_HOURS", 120),
}
# How long after a decision the applicant may object (the letter names the last day).
KREDITAX_OBJECTION_WINDOW_DAYS = envint("KREDITAX_OBJECTION_WINDOW_DAYS", 30)
# The share of automated decisions picked for a quality-control review, per outcome (0 to 1;
# e.g. 0.02 samples 2 % of approvals). The pick is a function of the request id (repeatable).
KREDITAX_REVIEW_SAMPLE_RATES = {
    "APPROVE": envfloat("KREDITAX_SAMPLE_APPROVE_RATE", 0.0),
    "REJECT": envfloat("KREDITAX_SAMPLE_REJECT_RATE", 0.0),
}
# The reason codes a credit officer chooses from when resolving a case: code -> (en, id).
KREDITAX_REVIEW_REASON_CODES = {
    "VERIFIED_INCOME": ("Income verified with documents", "Penghasilan terverifikasi dokumen"),
    "VERIFIED_OBLIGATIONS": (
        "Existing obligations verified",
        "Kewajiban yang ada terverifikasi",
    ),
    "POLICY_CONFIRMED": ("The automated decision is confirmed", "Keputusan otomatis dikonfirmasi"),
    "COUNTEROFFER_ACCEPTABLE": (
        "The counteroffer fits the applicant",
        "Penawaran alternatif sesuai untuk pemohon",
    ),
    "INSUFFICIENT_CAPACITY": (
        "Repayment capacity is insufficient",
        "Kemampuan membayar tidak mencukupi",
    ),
    "DATA_INCONSISTENT": ("The application data is inconsistent", "Data pengajuan tidak konsisten"),
}
# Who the decision letters come from, and how the applicant reaches the lender.
KREDITAX_LENDER_NAME = env("KREDITAX_LENDER_NAME", "PT KreditaX Demo Finance")
KREDITAX_LENDER_CONTACT = env(
    "KREDITAX_LENDER_CONTACT", "cs@kreditax.example, 1500-123 (Mon-Fri 08:00-17:00 WIB)"
)

# --- Portfolio scoring and Dask --------------------------------------------------------------
# The Dask scheduler (tcp://host:8786) that portfolio runs and `train_model --engine dask` use;
# empty: portfolio runs score on the machine of the worker that runs them.
KREDITAX_DASK_SCHEDULER = env("KREDITAX_DASK_SCHEDULER").strip()
# Where portfolio outputs started from the admin or the API may be written (inputs come from
# KREDITAX_DATA_DIR); the command line may use any path.
KREDITAX_PORTFOLIO_DIR = Path(env("KREDITAX_PORTFOLIO_DIR", str(VAR_DIR / "portfolio")))
# Threads of the booster in a portfolio run on one machine (0: every core of the process).
KREDITAX_PORTFOLIO_THREADS = envint("KREDITAX_PORTFOLIO_THREADS", 0)
# Rows per chunk read, scored and written at once (a few chunks are in memory at a time).
KREDITAX_PORTFOLIO_CHUNK_ROWS = envint("KREDITAX_PORTFOLIO_CHUNK_ROWS", 20_000)
# A RUNNING portfolio run whose heartbeat (written after every chunk, or Dask part) is older
# than this is reaped as "worker lost". Keep it well above the longest chunk or part, and
# above hashing the input (before the first chunk).
KREDITAX_PORTFOLIO_STALE_SECONDS = envfloat("KREDITAX_PORTFOLIO_STALE_SECONDS", 900.0)
# A QUEUED portfolio run older than this is reaped as "never started" (its task never
# reached a worker). Keep it above the longest wait for a free worker you expect.
KREDITAX_PORTFOLIO_QUEUED_SECONDS = envfloat("KREDITAX_PORTFOLIO_QUEUED_SECONDS", 6 * 3600.0)

# --- Simulation runs ----------------------------------------------------------------------
# Seconds between the heartbeat thread's beats while a simulation runs (0: no thread; the
# run still beats with every progress).
KREDITAX_SIMULATION_HEARTBEAT_SECONDS = envfloat("KREDITAX_SIMULATION_HEARTBEAT_SECONDS", 15.0)
# A RUNNING simulation whose heartbeat is older than this is reaped as "worker lost".
KREDITAX_SIMULATION_STALE_SECONDS = envfloat("KREDITAX_SIMULATION_STALE_SECONDS", 300.0)
# A QUEUED simulation older than this is reaped as "never started".
KREDITAX_SIMULATION_QUEUED_SECONDS = envfloat("KREDITAX_SIMULATION_QUEUED_SECONDS", 6 * 3600.0)

# --- Training runs ------------------------------------------------------------------------
# Read here from the environment, so a worker started with only environment variables
# honours them. Seconds between the worker's heartbeat-thread beats (0: no thread).
KREDITAX_TRAINING_HEARTBEAT_SECONDS = envfloat("KREDITAX_TRAINING_HEARTBEAT_SECONDS", 15.0)
# A RUNNING run whose heartbeat is older than this is reaped as "worker lost".
KREDITAX_TRAINING_STALE_SECONDS = envfloat("KREDITAX_TRAINING_STALE_SECONDS", 120.0)
# A QUEUED run older than this is reaped as "never started" (its task never reached a
# worker). Keep it above the longest wait for a free worker you expect.
KREDITAX_TRAINING_QUEUED_SECONDS = envfloat("KREDITAX_TRAINING_QUEUED_SECONDS", 6 * 3600.0)
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
# Seconds between two checks of every READY model artifact against its SHA-256 (a changed
# one is marked DAMAGED, with an alert in the admin and an error in the log).
KREDITAX_ARTIFACT_CHECK_SECONDS = envfloat("KREDITAX_ARTIFACT_CHECK_SECONDS", 300.0)

# --- Celery beat --------------------------------------------------------------------------
# Tasks are named by string: settings import no app.
CELERY_BEAT_SCHEDULE = {
    "seal-audit-trail": {"task": "audit.tasks.seal_audit_trail", "schedule": 60.0},
    "prune-idempotency-records": {
        "task": "scoring.tasks.prune_idempotency_records",
        "schedule": 24 * 3600.0,
    },
    # Fails RUNNING runs whose worker was lost (see KREDITAX_TRAINING_STALE_SECONDS) and
    # QUEUED runs whose task never reached one (KREDITAX_TRAINING_QUEUED_SECONDS).
    "training-reap-stale-runs": {
        "task": "training.tasks.reap_stale_training_runs",
        "schedule": 60.0,
    },
    # The same for portfolio runs (KREDITAX_PORTFOLIO_STALE_SECONDS and _QUEUED_SECONDS).
    "portfolio-reap-stale-runs": {
        "task": "portfolio.tasks.reap_stale_portfolio_runs",
        "schedule": 60.0,
    },
    # And for simulation runs (KREDITAX_SIMULATION_STALE_SECONDS and _QUEUED_SECONDS).
    "policy-reap-stale-simulation-runs": {
        "task": "policy.tasks.reap_stale_simulation_runs",
        "schedule": 60.0,
    },
    "training-verify-model-artifacts": {
        "task": "training.tasks.verify_model_artifacts",
        "schedule": KREDITAX_ARTIFACT_CHECK_SECONDS,
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
