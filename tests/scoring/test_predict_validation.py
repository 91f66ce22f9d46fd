"""/predict refuses every invalid or hostile body with a 4xx naming the field, and records nothing.

The cases are generated from ``INDONESIAN_SCHEMA``, so a new field or bound is covered as
soon as it is declared.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from credit_ml.schema import INDONESIAN_SCHEMA, FieldSpec
from registry.models import ModelVersion
from tests.scoring.support import VALID, assert_no_internals, assert_nothing_written

URL = "/api/v1/predict"
NUMERIC = [s for s in INDONESIAN_SCHEMA.fields if s.dtype != "str"]
STRINGS = [s for s in INDONESIAN_SCHEMA.fields if s.dtype == "str"]


def _case(spec: FieldSpec, value: Any) -> Any:
    return pytest.param(spec.name, value, id=f"{spec.name}={value!r}"[:60])


BELOW = [_case(s, s.minimum - 1) for s in NUMERIC if s.minimum is not None]
ABOVE = [_case(s, s.maximum + 1) for s in NUMERIC if s.maximum is not None]
WRONG_TYPE = [_case(s, "12") for s in NUMERIC] + [_case(s, True) for s in NUMERIC]
WRONG_TYPE += [_case(s, 123) for s in STRINGS] + [_case(s, ["x"]) for s in STRINGS]
WRONG_ENUM = [_case(s, "NOT_A_CHOICE") for s in INDONESIAN_SCHEMA.fields if s.choices]
TOO_LONG = [_case(s, "7" * (s.max_length + 1)) for s in STRINGS if s.max_length is not None]
FRACTIONS = [_case(s, 1.5) for s in NUMERIC if s.dtype == "int"]
NOT_FINITE = [_case(s, literal) for s in NUMERIC for literal in ("NaN", "Infinity", "-Infinity")]
OVERFLOW = [_case(s, "1e309") for s in NUMERIC] + [_case(s, "1" + "0" * 400) for s in NUMERIC]
REQUIRED = [s.name for s in INDONESIAN_SCHEMA.fields if s.required]


def post_raw(api: APIClient, text: str | bytes, content_type: str = "application/json") -> Any:
    return api.post(URL, data=text, content_type=content_type)


def assert_refused(response: Any, fields: set[str], status: int = 400) -> None:
    assert_no_internals(response)
    assert response.status_code == status
    assert set(response.json()["error"]["fields"]) == fields
    assert_nothing_written()


@pytest.mark.parametrize(("name", "value"), BELOW + ABOVE + WRONG_TYPE + WRONG_ENUM + FRACTIONS)
def test_a_field_out_of_its_bounds_type_or_choices_is_named(
    name: str, value: Any, api: APIClient, champion: ModelVersion
) -> None:
    response = api.post(URL, {**VALID, name: value}, format="json")
    assert_refused(response, {name})
    assert response.json()["error"]["code"] == "invalid"


@pytest.mark.parametrize(("name", "value"), TOO_LONG)
def test_an_over_long_string_is_named(
    name: str, value: str, api: APIClient, champion: ModelVersion
) -> None:
    response = api.post(URL, {**VALID, name: value}, format="json")
    assert_refused(response, {name})
    assert response.json()["error"]["fields"][name][0].startswith("Must be at most")


@pytest.mark.parametrize("name", REQUIRED)
def test_a_missing_required_field_is_named(
    name: str, api: APIClient, champion: ModelVersion
) -> None:
    body = {k: v for k, v in VALID.items() if k != name}
    response = api.post(URL, body, format="json")
    assert_refused(response, {name})
    assert response.json()["error"]["fields"][name] == ["This field is required."]


@pytest.mark.parametrize("name", REQUIRED)
def test_a_null_required_field_is_named(name: str, api: APIClient, champion: ModelVersion) -> None:
    assert_refused(api.post(URL, {**VALID, name: None}, format="json"), {name})


@pytest.mark.parametrize(("name", "literal"), NOT_FINITE + OVERFLOW)
def test_nan_infinity_and_overflowing_numbers_sent_as_raw_text_are_named(
    name: str, literal: str, api: APIClient, champion: ModelVersion
) -> None:
    text = json.dumps({**VALID, name: 0}).replace(f'"{name}": 0', f'"{name}": {literal}')
    assert literal in text
    response = post_raw(api, text)
    assert_refused(response, {name})
    assert response.json()["error"]["fields"][name] == [
        "Must be a finite number (NaN and Infinity are not allowed)."
    ]


def test_an_unknown_field_is_named(api: APIClient, champion: ModelVersion) -> None:
    response = api.post(URL, {**VALID, "is_default": 0}, format="json")
    assert_refused(response, {"is_default"})
    assert response.json()["error"]["fields"]["is_default"] == ["Unknown field."]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("loan_amount", -50_000_000),
        ("loan_amount", 1e15),
        ("monthly_income", -1),
        ("monthly_income", 0),
        ("monthly_income", 1e12),
        ("existing_monthly_installments", -1),
        ("total_existing_debt", 1e18),
        ("annual_interest_rate", -0.1),
        ("annual_interest_rate", 250),
    ],
)
def test_negative_or_absurd_amounts_are_named(
    name: str, value: float, api: APIClient, champion: ModelVersion
) -> None:
    assert_refused(api.post(URL, {**VALID, name: value}, format="json"), {name})


@pytest.mark.parametrize(
    "nik",
    [
        "3171053201900001",  # day 32
        "3171057201900001",  # day 72 (a woman's 32)
        "3171051513900001",  # month 13
        "3171053002900001",  # 30 February
        "9971054501900001",  # province 99 does not exist
        "3171054501900000",  # serial 0000
        "31710545019000",  # 14 digits
        "317105450190000A",  # a letter
    ],
)
def test_an_invalid_nik_is_named(nik: str, api: APIClient, champion: ModelVersion) -> None:
    assert_refused(api.post(URL, {**VALID, "nik": nik}, format="json"), {"nik"})


@pytest.mark.parametrize(
    ("name", "value"), [("phone", "12345"), ("email", "siti-at-example"), ("full_name", "  ")]
)
def test_a_malformed_identity_field_is_named(
    name: str, value: str, api: APIClient, champion: ModelVersion
) -> None:
    assert_refused(api.post(URL, {**VALID, name: value}, format="json"), {name})


def test_work_experience_longer_than_the_working_life_is_named(
    api: APIClient, champion: ModelVersion
) -> None:
    born_2006 = "3171054501060001"  # the NIK of a woman born on 5 January 2006: age 20
    body = {**VALID, "nik": born_2006, "age": 20, "work_experience_years": 6}
    response = api.post(URL, body, format="json")
    assert_refused(response, {"work_experience_years"})
    assert response.json()["error"]["fields"]["work_experience_years"] == [
        "Cannot exceed the working life the age allows (5 years)."
    ]


def test_installments_over_ten_times_the_income_are_named(
    api: APIClient, champion: ModelVersion
) -> None:
    body = {**VALID, "monthly_income": 1_000_000, "existing_monthly_installments": 10_000_001}
    assert_refused(api.post(URL, body, format="json"), {"existing_monthly_installments"})


@pytest.mark.parametrize("text", ["[]", "[{}]", '"an application"', "42", "null", "true"])
def test_a_body_that_is_not_an_object_is_refused(
    text: str, api: APIClient, champion: ModelVersion
) -> None:
    response = post_raw(api, text)
    assert_refused(response, {"non_field_errors"})
    assert response.json()["error"]["fields"] == {"non_field_errors": ["Expected a JSON object."]}


def test_an_empty_object_names_every_required_field(api: APIClient, champion: ModelVersion) -> None:
    assert_refused(post_raw(api, "{}"), set(REQUIRED))


def test_an_empty_body_names_every_required_field(api: APIClient, champion: ModelVersion) -> None:
    assert_refused(post_raw(api, ""), set(REQUIRED))


@pytest.mark.parametrize(
    "raw",
    [
        b'{"full_name": "Siti \xff\xfe"}',  # invalid UTF-8
        b'{"age": 36,',  # truncated
        b"{'age': 36}",  # Python, not JSON
        b'{"age": 036}',  # leading zero
        b"\xef\xbb\xbf{}",  # a byte-order mark
        b"[" * 20_000,  # nested deep enough to exhaust a recursive parser
        b'{"a":' * 10_000,
    ],
    ids=["bad-utf8", "truncated", "python", "leading-zero", "bom", "deep-array", "deep-object"],
)
def test_malformed_json_is_400_without_internals(
    raw: bytes, api: APIClient, champion: ModelVersion
) -> None:
    response = post_raw(api, raw)
    assert_refused(response, set())
    assert response.json()["error"]["code"] == "malformed_json"


def test_a_body_over_the_size_limit_is_413(api: APIClient, champion: ModelVersion) -> None:
    with override_settings(KREDITAX_MAX_BODY_BYTES=2048):
        response = api.post(URL, {**VALID, "address": "x" * 2048}, format="json")
    assert_refused(response, set(), status=413)
    assert response.json()["error"] == {
        "code": "payload_too_large",
        "message": "The body is larger than the limit of 2048 bytes.",
        "fields": {},
    }


def test_a_body_just_under_the_size_limit_is_read(api: APIClient, champion: ModelVersion) -> None:
    text = json.dumps(VALID)
    with override_settings(KREDITAX_MAX_BODY_BYTES=len(text.encode())):
        assert post_raw(api, text).status_code == 200


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
def test_a_body_that_is_not_json_is_415(
    content_type: str, api: APIClient, champion: ModelVersion
) -> None:
    response = post_raw(api, json.dumps(VALID), content_type=content_type)
    assert_refused(response, set(), status=415)
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_get_on_predict_is_405_in_the_error_format(api: APIClient, champion: ModelVersion) -> None:
    response = api.get(URL)
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_a_thirty_digit_integer_is_named_as_out_of_bounds(
    api: APIClient, champion: ModelVersion
) -> None:
    text = json.dumps(VALID).replace('"loan_amount": 50000000', '"loan_amount": 1' + "0" * 30)
    response = post_raw(api, text)
    assert_refused(response, {"loan_amount"})
    assert response.json()["error"]["fields"]["loan_amount"] == ["Must be at most 2,000,000,000."]
