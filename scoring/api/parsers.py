"""A strict JSON parser: bounded body size (413), valid UTF-8, bounded nesting, clean text.

``NaN``, ``Infinity`` and numbers too large for a float are read as non-finite floats
rather than refused here, so that validation names the field that carried them
("Must be a finite number") like any other out-of-range value.

Standard JSON is read with orjson (a 1,000-application batch in a few milliseconds); what
orjson refuses (``NaN``, huge integers, bad UTF-8, deep nesting, malformed text) is read
again by the standard library, which gives the same values for valid JSON and the readable
errors below for the rest.

Every string of the parsed body (object keys too) is then checked once, for every endpoint:
a lone surrogate (``"\\ud800"``: valid JSON, but no UTF-8 can hold it) or a control character
(U+0000 to U+001F, U+007F) is a 400 naming every offending path (``full_name``,
``applications[3].full_name``). This is the body's text, like invalid UTF-8, not an item's
value: it is refused for the whole request, a batch included, before anything is recorded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import IO, Any

import orjson
from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser

from scoring.api.errors import ApiError, invalid

#: Integer literals longer than this many digits are read as floats: every such value is
#: beyond every field's bounds, and ``float()`` of a huge Python int raises OverflowError.
MAX_INT_DIGITS = 18


def _non_finite(name: str) -> float:
    return float(name)  # "NaN", "Infinity", "-Infinity"


def _bounded_int(text: str) -> int | float:
    return int(text) if len(text.lstrip("-")) <= MAX_INT_DIGITS else float(text)


_BAD_TEXT = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
SURROGATE = "Must be valid Unicode text (a lone surrogate is not)."
CONTROL = "Must not contain control characters (U+0000 to U+001F, U+007F)."


def _problem(text: str) -> str | None:
    found = _BAD_TEXT.search(text)
    if found is None:
        return None
    return SURROGATE if "\ud800" <= found.group() <= "\udfff" else CONTROL


def _printable(key: str) -> str:
    """A key as it can be shown in an error: control characters and surrogates escaped."""
    return (
        key.encode("unicode_escape", "backslashreplace").decode("ascii")
        if _BAD_TEXT.search(key)
        else key
    )


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def text_problems(value: Any, path: str = "") -> dict[str, list[str]]:
    """Path to a message for every string (or key) in ``value`` that is not clean text."""
    problems: dict[str, list[str]] = {}
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:
        where, node = stack.pop()
        if isinstance(node, str):
            message = _problem(node)
            if message is not None:
                problems[where or "non_field_errors"] = [message]
        elif isinstance(node, dict):
            for key, child in node.items():
                named = _join(where, _printable(key))
                message = _problem(key)
                if message is not None:
                    problems[named] = [message]
                stack.append((named, child))
        elif isinstance(node, list):
            stack.extend((f"{where}[{i}]", child) for i, child in enumerate(node))
    return dict(sorted(problems.items()))


def may_hold_bad_text(raw: bytes) -> bool:
    """Whether a body that parsed can hold a string ``text_problems`` refuses.

    Both decoders refuse raw control characters U+0000 to U+001F in strings (strict
    JSON) and bytes that are not UTF-8 (which is how a raw surrogate would be written), so
    a parsed body holds one only through an escape (a backslash) or as a raw U+007F, which
    JSON allows. Without either byte the walk over every string is skipped (two ``memchr``
    scans instead of a Python loop over every string of a 1,000-application batch).
    """
    return b"\\" in raw or b"\x7f" in raw


def too_large(limit: int) -> ApiError:
    return ApiError(
        status_code=413,
        code="payload_too_large",
        message=f"The body is larger than the limit of {limit} bytes.",
    )


class StrictJSONParser(BaseParser):
    """Reads at most the configured number of bytes; refuses bad UTF-8 and deep nesting.

    Not a ``JSONParser`` subclass on purpose: DRF reads the whole ``request.body`` for those
    before the parser runs (Django's ``RequestDataTooBig``, an HTML 400, above
    ``DATA_UPLOAD_MAX_MEMORY_SIZE``); this one gets the stream and reads at most the limit,
    so a body over it is the 413 below at every size.
    """

    media_type = "application/json"
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
        if declared and declared.isascii() and declared.isdigit() and int(declared) > limit:
            raise too_large(limit)
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise too_large(limit)
        data = self._decode(raw)
        problems = text_problems(data) if may_hold_bad_text(raw) else {}
        if problems:
            raise invalid(problems)
        return data

    @staticmethod
    def _decode(raw: bytes) -> Any:
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
