"""The fast JSON reader and writer give what DRF's standard ones give."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import numpy as np
from django.test import RequestFactory
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from registry.models import ModelVersion
from scoring.api.parsers import StrictJSONParser
from scoring.api.renderers import FastJSONRenderer, dumps
from tests.scoring.support import VALID


def test_a_decision_renders_to_the_same_values_as_drf(
    api: APIClient, champion: ModelVersion
) -> None:
    # orjson writes small floats in positional notation (-0.000092) where the standard
    # library writes -9.2e-05: the same number, so compare what a reader gets back.
    response = api.post("/api/v1/explain", VALID, format="json")
    assert response.status_code == 200
    data = response.json()
    assert json.loads(JSONRenderer().render(data)) == data
    assert json.loads(FastJSONRenderer().render(data)) == data
    assert FastJSONRenderer().render(data) == dumps(data) == response.content


def test_small_floats_read_back_exactly() -> None:
    values = [-9.2e-05, 4.1e-05, 1e-7, 0.1, 123456.789, -0.0, 5e-324]
    assert json.loads(dumps(values)) == values


def test_other_types_and_line_separators_render_like_drf() -> None:
    data = {
        "amount": Decimal("12.5"),
        "proxy": MappingProxyType({"a": 1}),
        "text": "Sewa/kontrak \u00e9 \u2028 \u2029 \U0001f600",
        "tuple": (1, 2.5, None, True),
        "numpy": np.float64(0.1),
        1: "int key",
    }
    assert dumps(data) == JSONRenderer().render(data)
    assert b"\\u2028" in dumps(data)
    assert b"\\u2029" in dumps(data)


def test_indent_requests_keep_drf_pretty_printing() -> None:
    data = {"a": [1, 2]}
    rendered = FastJSONRenderer().render(data, "application/json; indent=2", {})
    assert rendered == b'{\n  "a": [\n    1,\n    2\n  ]\n}'
    assert FastJSONRenderer().render(None) == b""


def _parse(raw: bytes) -> Any:
    request = RequestFactory().post("/", data=raw, content_type="application/json")
    return StrictJSONParser().parse(io.BytesIO(raw), "application/json", {"request": request})


def test_the_fast_reader_gives_the_standard_values() -> None:
    raw = json.dumps(
        {**VALID, "nested": {"list": [1, -2, 3.25, 1e-7, 12345678901234567], "u": "é\u2028"}},
        ensure_ascii=False,
    ).encode()
    assert _parse(raw) == json.loads(raw)


def test_non_standard_numbers_still_reach_validation() -> None:
    parsed = _parse(b'{"a": NaN, "b": Infinity, "c": 1e309, "d": 12345678901234567890123}')
    assert parsed["a"] != parsed["a"]
    assert parsed["b"] == float("inf")
    assert parsed["c"] == float("inf")
    assert parsed["d"] == 1.2345678901234568e22
    assert isinstance(parsed["d"], float)
