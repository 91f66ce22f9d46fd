"""The parser skips its walk over every string only when no string can be bad text."""

from __future__ import annotations

import json

import pytest
from rest_framework.exceptions import ParseError

from scoring.api.parsers import StrictJSONParser, may_hold_bad_text, text_problems

BAD = ["\x00", "\x1f", "\n", "\x7f", "\ud800", "\udfff"]


@pytest.mark.parametrize("char", BAD)
@pytest.mark.parametrize("ensure_ascii", [True, False])
def test_every_body_that_parses_with_bad_text_is_walked(char: str, ensure_ascii: bool) -> None:
    for value in ({"name": f"a{char}b"}, {f"k{char}": 1}, {"list": [1, {"x": char}]}):
        raw = json.dumps(value, ensure_ascii=ensure_ascii).encode("utf-8", "surrogatepass")
        try:
            data = StrictJSONParser._decode(raw)
        except ParseError:
            continue  # a raw surrogate is not UTF-8: refused before any walk
        assert text_problems(data) != {}
        assert may_hold_bad_text(raw)


def test_a_raw_control_character_is_not_json_at_all() -> None:
    with pytest.raises(ParseError):
        StrictJSONParser._decode(b'{"name": "a\x01b"}')


def test_a_clean_body_with_raw_unicode_skips_the_walk() -> None:
    raw = json.dumps({"name": "Siti Nurhalizah Ö", "city": "Bekasi"}, ensure_ascii=False)
    assert not may_hold_bad_text(raw.encode())
    assert may_hold_bad_text(json.dumps({"name": "Ö"}).encode())  # escaped: walked
