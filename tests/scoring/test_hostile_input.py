"""Text that cannot be stored or logged honestly is refused at the parser, naming the field."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rest_framework.test import APIClient

from registry.models import ModelVersion
from tests.scoring.support import VALID, assert_no_internals, assert_nothing_written

PREDICT = "/api/v1/predict"
BATCH = "/api/v1/predict/batch"
SURROGATE = "Must be valid Unicode text (a lone surrogate is not)."
CONTROL = "Must not contain control characters (U+0000 to U+001F, U+007F)."


def post_text(api: APIClient, url: str, text: str, **headers: Any) -> Any:
    return api.post(url, data=text.encode("utf-8"), content_type="application/json", **headers)


@pytest.mark.parametrize("idempotency", [{}, {"HTTP_IDEMPOTENCY_KEY": "k-1"}], ids=["plain", "key"])
def test_a_lone_surrogate_is_a_400_naming_the_field(
    idempotency: dict[str, str], api: APIClient, champion: ModelVersion
) -> None:
    text = json.dumps(VALID)[:-1] + ', "full_name": "Budi \\ud800"}'
    response = post_text(api, PREDICT, text, **idempotency)
    assert_no_internals(response)
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid",
        "message": "The request is invalid.",
        "fields": {"full_name": [SURROGATE]},
    }
    assert_nothing_written()


@pytest.mark.parametrize("char", ["\x00", "\x1f", "\n", "\x7f"])
def test_a_control_character_at_the_end_of_the_reference_is_a_400(
    char: str, api: APIClient, champion: ModelVersion
) -> None:
    response = api.post(PREDICT, {**VALID, "application_id": "DEMO-1" + char}, format="json")
    assert_no_internals(response)
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"application_id": [CONTROL]}
    assert_nothing_written()


@pytest.mark.parametrize("idempotency", [{}, {"HTTP_IDEMPOTENCY_KEY": "k-2"}], ids=["plain", "key"])
def test_a_batch_with_bad_text_is_a_400_naming_every_item_and_records_nothing(
    idempotency: dict[str, str], api: APIClient, champion: ModelVersion
) -> None:
    good = json.dumps(VALID)
    bad_name = good[:-1] + ', "full_name": "\\udfff"}'
    bad_ref = json.dumps({**VALID, "application_id": "X\u0000"})
    text = '{"applications": [' + ", ".join([good, good, good, bad_name, bad_ref]) + "]}"
    response = post_text(api, BATCH, text, **idempotency)
    assert_no_internals(response)
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "applications[3].full_name": [SURROGATE],
        "applications[4].application_id": [CONTROL],
    }
    assert_nothing_written()


def test_a_bad_key_and_nested_values_are_named_by_their_path(
    api: APIClient, champion: ModelVersion
) -> None:
    text = '{"a\\u0000b": 1, "list": ["ok", {"x": "\\ud800"}]}'
    response = post_text(api, PREDICT, text)
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "a\\x00b": [CONTROL],
        "list[1].x": [SURROGATE],
    }
    assert_nothing_written()


@pytest.mark.parametrize(
    "digits",
    [
        str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"),
        str.maketrans("0123456789", "０１２３４５６７８９"),
    ],
    ids=["arabic-indic", "full-width"],
)
def test_nik_and_phone_in_other_digits_are_a_400_naming_them(
    digits: dict[int, str], api: APIClient, champion: ModelVersion
) -> None:
    nik, phone = VALID["nik"].translate(digits), VALID["phone"].translate(digits)
    body = {**VALID, "nik": nik, "phone": phone}
    response = api.post(PREDICT, body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"].keys() == {"nik", "phone"}
    assert_nothing_written()
