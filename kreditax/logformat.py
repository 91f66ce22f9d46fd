"""Log lines as one JSON object each (``KREDITAX_LOG_FORMAT=json``), for log shippers.

Each object has ``time`` (ISO 8601, UTC), ``level``, ``logger``, ``request_id`` (the
``X-Request-ID`` of the request being handled, ``-`` outside one), ``message`` and, for an
error with a traceback, ``exception``. The product never logs personal data (identity
values are digested or masked before anything is logged); this formatter adds none.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        body = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            body["exception"] = self.formatException(record.exc_info)
        return json.dumps(body, ensure_ascii=False, default=str)
