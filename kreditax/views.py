"""The project's own page: ``/`` says what this service is and where its parts are."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe


@require_safe
def landing(request: HttpRequest) -> HttpResponse:
    """Product name and version, and links to the API docs, the schema, the admin and the
    health and readiness checks. Server-rendered, no external assets."""
    return render(
        request, "landing.html", {"product": "KreditaX", "version": settings.KREDITAX_VERSION}
    )
