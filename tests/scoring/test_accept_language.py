"""The error body's message and field messages follow Accept-Language (id or en; anything
else is English)."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from credit_ml.messages import localise
from registry.models import ModelVersion
from tests.scoring.support import VALID

URL = "/api/v1/predict"
TOO_MUCH = {**VALID, "loan_amount": 3_000_000_000}
ENGLISH = ("The application is invalid.", ["Must be at most 2,000,000,000."])
INDONESIAN = ("Pengajuan tidak valid.", ["Maksimal 2.000.000.000."])


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, ENGLISH),
        ("en", ENGLISH),
        ("id", INDONESIAN),
        ("id-ID,id;q=0.9,en;q=0.8", INDONESIAN),
        ("en;q=0.5, id;q=0.9", INDONESIAN),
        ("fr", ENGLISH),
        ("fr, id;q=0.1", INDONESIAN),
    ],
)
def test_the_error_is_in_the_requested_language(
    api: APIClient, champion: ModelVersion, header: str | None, expected: tuple[str, list[str]]
) -> None:
    extra: dict[str, Any] = {} if header is None else {"HTTP_ACCEPT_LANGUAGE": header}
    response = api.post(URL, TOO_MUCH, format="json", **extra)
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["message"], error["fields"]["loan_amount"]) == expected


def test_a_batch_item_error_is_in_the_requested_language(
    api: APIClient, champion: ModelVersion
) -> None:
    body = {"applications": [VALID, TOO_MUCH]}
    response = api.post(URL + "/batch", body, format="json", HTTP_ACCEPT_LANGUAGE="id")
    assert response.status_code == 200
    item = response.json()["results"][1]
    assert item["error"]["fields"] == {"loan_amount": ["Maksimal 2.000.000.000."]}


def test_a_body_that_is_not_an_object_is_refused_in_indonesian(
    api: APIClient, champion: ModelVersion
) -> None:
    response = api.post(URL, [1, 2], format="json", HTTP_ACCEPT_LANGUAGE="id")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Isi permintaan harus berupa objek JSON."
    assert response.json()["error"]["fields"] == {
        "non_field_errors": ["Diharapkan sebuah objek JSON."]
    }


def test_a_term_the_model_path_refuses_is_explained_in_indonesian() -> None:
    assert localise("Must be a positive amount.", "id") == "Harus berupa jumlah positif."
    assert localise("Must be at least 1 month.", "en") == "Must be at least 1 month."
