"""One id per HTTP request: in the ``X-Request-ID`` response header and in every log line.

An incoming ``X-Request-ID`` of a safe shape (1 to 64 characters of ``A-Z a-z 0-9 . _ -``)
is kept, so that a loan system's or a gateway's trace id runs through our logs; anything
else (absent, empty, longer, with spaces, CR/LF or other characters) is replaced by a new
UUID4, so that nothing a client sends can forge or split a log line or a header.

A decision made in the request takes the request's id as its own ``request_id`` (body,
audit record, waterfall URL) when KreditaX made the id; a client's own id never names a
decision, since a client could send it twice (a retry, a gateway's id): the decision then
has its own UUID, and the decision's log line ties the two together.

The id lives in a context variable (per thread and per asyncio task, never shared) from
the start of the request until the server closes the response.
``RequestIdMiddleware`` comes first in ``MIDDLEWARE`` so that every response carries it,
the admin's, static files' and errors' included; ``RequestIdFilter`` on the log handlers
adds it to every record as ``request_id`` (``-`` outside a request).
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponseBase

HEADER = "X-Request-ID"
_SAFE = re.compile(r"[A-Za-z0-9._-]{1,64}")
#: What log records carry outside a request (commands, Celery tasks, start-up).
NO_REQUEST = "-"


@dataclass(frozen=True)
class RequestId:
    value: str
    generated: bool  # made here (a UUID4), not sent by the client


_current: ContextVar[RequestId | None] = ContextVar("kreditax_request_id", default=None)


def request_id_from(incoming: str | None) -> RequestId:
    """The client's id when it has a safe shape, else a new UUID4."""
    if incoming is not None and _SAFE.fullmatch(incoming):
        return RequestId(value=incoming, generated=False)
    return RequestId(value=str(uuid.uuid4()), generated=True)


def current_request_id() -> RequestId | None:
    """The id of the request being handled; None outside a request."""
    return _current.get()


def decision_request_id() -> uuid.UUID | None:
    """The ``request_id`` a decision made now takes: the request's id when KreditaX made it,
    None (the decision makes its own) when the client sent its own or outside a request."""
    current = _current.get()
    return uuid.UUID(current.value) if current is not None and current.generated else None


def _forget() -> None:
    _current.set(None)


#: The message header that carries the id of the request that queued a Celery task.
TASK_HEADER = "kreditax_request_id"


def task_headers_add(headers: dict[str, Any]) -> None:
    """Celery's ``before_task_publish``: a task queued while a request is handled carries
    the request's id in its message headers (a task queued elsewhere carries none)."""
    current = _current.get()
    if current is not None:
        headers.setdefault(TASK_HEADER, current.value)


def task_request_id_adopt(value: Any) -> None:
    """Celery's ``task_prerun``: the task's log lines carry the id of the request that
    queued it (a safe-shaped id only; never a decision's own id: ``generated`` is False).
    ``task_request_id_forget`` at ``task_postrun``."""
    if isinstance(value, str) and _SAFE.fullmatch(value):
        _current.set(RequestId(value=value, generated=False))
    else:
        _current.set(None)


def task_request_id_forget() -> None:
    _forget()


class RequestIdMiddleware:
    """Sets the request's id until its response is closed and returns it in the header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        request_id = request_id_from(request.META.get("HTTP_X_REQUEST_ID"))
        _current.set(request_id)
        try:
            response = self.get_response(request)
        except BaseException:
            _forget()
            raise
        response[HEADER] = request_id.value
        # Forgotten when the server closes the response, not on return: Django logs a 4xx or
        # 5xx response ("Bad Request: /api/v1/predict") after the middleware chain returns,
        # and a streamed export is produced after it too; their lines carry the id as well.
        # The response's closers are Django's hook for this (django.contrib.staticfiles and
        # the request itself use it).
        response._resource_closers.append(_forget)  # type: ignore[attr-defined]
        return response


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record that reaches the handler (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        current = _current.get()
        record.request_id = current.value if current is not None else NO_REQUEST
        return True
