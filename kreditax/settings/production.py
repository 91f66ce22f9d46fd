"""Production settings: no defaults for secrets, PostgreSQL only. Fails loudly otherwise."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from kreditax.settings.base import *  # noqa: F403
from kreditax.settings.base import DATABASES, LOGGING
from kreditax.settings.env import env, envbool, envint, envlist

DEBUG = False
# One JSON object per log line unless KREDITAX_LOG_FORMAT=plain says otherwise.
KREDITAX_LOG_FORMAT = env("KREDITAX_LOG_FORMAT", "json").strip().lower() or "json"
if KREDITAX_LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured(
        f"KREDITAX_LOG_FORMAT must be plain or json, got {KREDITAX_LOG_FORMAT!r}."
    )
LOGGING["handlers"]["console"]["formatter"] = KREDITAX_LOG_FORMAT
# No file_errors here: an unreadable NAME_FILE raises at import, because the web and worker
# processes never run the system checks that report it in development (kreditax.E002).
SECRET_KEY = env("DJANGO_SECRET_KEY")
KREDITAX_PII_KEY = env("KREDITAX_PII_KEY")
KREDITAX_AUDIT_KEYS = envlist("KREDITAX_AUDIT_KEYS")

_required = (
    ("DJANGO_SECRET_KEY", SECRET_KEY),
    ("KREDITAX_PII_KEY", KREDITAX_PII_KEY),
    ("KREDITAX_AUDIT_KEYS", ",".join(KREDITAX_AUDIT_KEYS)),
)
_missing = [name for name, value in _required if not value]
if _missing:
    raise ImproperlyConfigured(
        f"Production needs these environment variables: {', '.join(_missing)}"
    )
if "sqlite" in DATABASES["default"]["ENGINE"]:
    raise ImproperlyConfigured("Production needs PostgreSQL: set DATABASE_URL.")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = envbool("DJANGO_SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# A year of HSTS by default; the proxy terminates TLS and says so in X-Forwarded-Proto.
SECURE_HSTS_SECONDS = envint("DJANGO_HSTS_SECONDS", 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = envbool("DJANGO_HSTS_PRELOAD", True)
SECURE_SSL_REDIRECT = envbool("DJANGO_SECURE_SSL_REDIRECT", True)
# Probes inside the network call these over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^api/v1/health$", r"^api/v1/ready$"]
SESSION_COOKIE_HTTPONLY = True
KREDITAX_PUBLIC_API_DOCS = envbool("KREDITAX_PUBLIC_API_DOCS", False)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
