"""KreditaX Django project. Loads the Celery app so that shared_task binds to it."""

from kreditax.celery import app as celery_app

__all__ = ["celery_app"]
