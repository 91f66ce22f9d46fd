"""JSON rendering with orjson: the same JSON as DRF's ``JSONRenderer``, about ten times faster.

A batch response of 1,000 decisions is about 3 MB of JSON; the standard library takes tens
of milliseconds to write it. Output is compact UTF-8 like DRF's with ``UNICODE_JSON`` and
``COMPACT_JSON``; types orjson does not know natively (lazy translations, ``Decimal``,
mapping proxies) go through DRF's own encoder. ``?indent`` requests keep DRF's renderer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS
_FALLBACK = JSONEncoder()
# DRF escapes these two so that the JSON is also valid JavaScript; so do we.
_LINE_SEPARATORS = ((b"\xe2\x80\xa8", b"\\u2028"), (b"\xe2\x80\xa9", b"\\u2029"))


def _default(value: Any) -> Any:
    return _FALLBACK.default(value)


def dumps(data: Any) -> bytes:
    """``data`` as compact UTF-8 JSON bytes (orjson, DRF's encoder for other types)."""
    out = orjson.dumps(data, default=_default, option=_OPTIONS)
    if b"\xe2\x80" in out:
        for raw, escaped in _LINE_SEPARATORS:
            out = out.replace(raw, escaped)
    return out


class FastJSONRenderer(JSONRenderer):
    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if data is None:
            return b""
        if self.get_indent(accepted_media_type or "", dict(renderer_context or {})) is not None:
            return bytes(super().render(data, accepted_media_type, renderer_context))
        return dumps(data)
