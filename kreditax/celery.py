"""The Celery application. Broker from REDIS_URL/CELERY_BROKER_URL via Django settings."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kreditax.settings.base")

app = Celery("kreditax")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
