"""Test settings: SQLite in memory unless DATABASE_URL points at PostgreSQL."""

from __future__ import annotations

import tempfile
from pathlib import Path

from kreditax.settings.base import *  # noqa: F403
from kreditax.settings.env import env

if not env("DATABASE_URL"):
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
# An existing directory, so that the kreditax.E001 system check passes.
KREDITAX_ARTIFACT_DIR = Path(
    env("KREDITAX_ARTIFACT_DIR") or tempfile.mkdtemp(prefix="kreditax-models-")
)
KREDITAX_PII_KEY = "test-pii-key"
# No collected static files in tests: WhiteNoise finds them with the staticfiles finders.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Every request looks the champion up, so a promotion in a test is seen by the next request.
KREDITAX_CHAMPION_REFRESH_SECONDS = 0
# Every request reads its API client, so a revocation in a test applies to the next request.
KREDITAX_API_KEY_REFRESH_SECONDS = 0
# Tests make many requests: no rate limit unless a test sets one.
KREDITAX_SCORING_RATE = "1000000/min"
KREDITAX_API_KEY_FAILURES = "1000000/min"
