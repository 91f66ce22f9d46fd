"""Request framing refused before any view runs, in the JSON error format.

- ``Transfer-Encoding`` (a chunked body): 411. Django reads a body by its ``Content-Length``
  only, so a chunked body would otherwise be read as empty and the request handled as if
  nothing had been sent.
- A ``Content-Length`` above ``DATA_UPLOAD_MAX_MEMORY_SIZE``: 413, for every page (the API's
  parsers refuse their own, smaller limits; this covers the admin's forms too), instead of
  Django's HTML 400 and a logged traceback.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase, JsonResponse

from scoring.api.errors import error_body


def length_required() -> JsonResponse:
    message = "Send the body with a Content-Length header (chunked bodies are not read)."
    return JsonResponse(error_body("length_required", message), status=411)


def too_large(limit: int) -> JsonResponse:
    message = f"The body is larger than the limit of {limit} bytes."
    return JsonResponse(error_body("payload_too_large", message), status=413)


def _declared_length(request: HttpRequest) -> int | None:
    declared = request.META.get("CONTENT_LENGTH") or ""
    return int(declared) if declared.isascii() and declared.isdigit() else None


class BodyFramingMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.META.get("HTTP_TRANSFER_ENCODING"):
            return length_required()
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        length = _declared_length(request)
        if limit is not None and length is not None and length > limit:
            return too_large(limit)
        return self.get_response(request)
