"""gunicorn's access line as one JSON object (with KREDITAX_LOG_FORMAT=json), like the
application's log lines: method, path (no query string), status, bytes, milliseconds and
the request id of the response header. No body, no query string, no client address."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from gunicorn.glogging import Logger  # type: ignore[import-untyped]


def access_line(atoms: Mapping[str, Any], *, now: datetime | None = None) -> str:
    """The JSON text of one access line from gunicorn's atoms (``m``, ``U``, ``s``, ``B``,
    ``M`` and the response header ``{x-request-id}o``)."""
    status = str(atoms.get("s", "-"))
    body = {
        "time": (now or datetime.now(UTC)).isoformat(timespec="milliseconds"),
        "level": "INFO",
        "logger": "gunicorn.access",
        "request_id": atoms.get("{x-request-id}o", "-") or "-",
        "message": f"{atoms.get('m', '-')} {atoms.get('U', '-')} {status}",
        "method": atoms.get("m", "-"),
        "path": atoms.get("U", "-"),
        "status": int(status) if status.isdigit() else status,
        "bytes": atoms.get("B"),
        "ms": atoms.get("M"),
    }
    return json.dumps(body, ensure_ascii=False, default=str)


class JsonAccessLogger(Logger):  # type: ignore[misc]
    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        if not self.access_log_enabled:
            return
        atoms = {
            (key.lower() if key.startswith("{") else key): value  # headers: any case
            for key, value in self.atoms(resp, req, environ, request_time).items()
        }
        self.access_log.info(access_line(atoms))
