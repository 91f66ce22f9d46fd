"""A strict JSON parser: bounded body size (413), valid UTF-8, bounded nesting.

``NaN``, ``Infinity`` and numbers too large for a float are read as non-finite floats
rather than refused here, so that validation names the field that carried them
("Must be a finite number") like any other out-of-range value.

Standard JSON is read with orjson (a 1,000-application batch in a few milliseconds); what
orjson refuses (``NaN``, huge integers, bad UTF-8, deep nesting, malformed text) is read
again by the standard library, which gives the same values for valid JSON and the readable
errors below for the rest.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import IO, Any

import orjson
from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from scoring.api.errors import ApiError

#: Integer literals longer than this many digits are read as floats: every such value is
#: beyond every field's bounds, and ``float()`` of a huge Python int raises OverflowError.
MAX_INT_DIGITS = 18


def _non_finite(name: str) -> float:
    return float(name)  # "NaN", "Infinity", "-Infinity"


def _bounded_int(text: str) -> int | float:
    return int(text) if len(text.lstrip("-")) <= MAX_INT_DIGITS else float(text)


def too_large(limit: int) -> ApiError:
    return ApiError(
        status_code=413,
        code="payload_too_large",
        message=f"The body is larger than the limit of {limit} bytes.",
    )


class StrictJSONParser(JSONParser):
    """Reads at most the configured number of bytes; refuses bad UTF-8 and deep nesting."""

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
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass  # read it again below, for the non-standard values or a readable error
        try:
            text = raw.decode("utf-8")
            return json.loads(text, parse_constant=_non_finite, parse_int=_bounded_int)
        except UnicodeDecodeError:
            raise ParseError("The body is not valid UTF-8.") from None
        except RecursionError:
            raise ParseError("The body is nested too deeply.") from None
        except ValueError:
            raise ParseError("The body is not valid JSON.") from None


class StrictBatchJSONParser(StrictJSONParser):
    limit_setting = "KREDITAX_MAX_BATCH_BODY_BYTES"
