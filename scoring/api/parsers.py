"""A strict JSON parser: bounded body size (413), no NaN or Infinity literals."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from scoring.api.errors import ApiError


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def too_large(limit: int) -> ApiError:
    return ApiError(
        status_code=413,
        code="payload_too_large",
        message=f"The body is larger than the limit of {limit} bytes.",
    )


class StrictJSONParser(JSONParser):
    """Reads at most the configured number of bytes; refuses NaN, Infinity and bad UTF-8."""

    limit_setting = "KREDITAX_MAX_BODY_BYTES"

    def parse(
        self,
        stream: IO[bytes],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        limit = int(getattr(settings, self.limit_setting))
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and declared.isdigit() and int(declared) > limit:
            raise too_large(limit)
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise too_large(limit)
        try:
            text = raw.decode("utf-8")
            return json.loads(text, parse_constant=_reject_constant)
        except UnicodeDecodeError:
            raise ParseError("The body is not valid UTF-8.") from None
        except ValueError as exc:
            message = "The body is not valid JSON."
            if "is not allowed" in str(exc):
                message = "NaN and Infinity are not valid JSON numbers."
            raise ParseError(message) from None


class StrictBatchJSONParser(StrictJSONParser):
    limit_setting = "KREDITAX_MAX_BATCH_BODY_BYTES"
