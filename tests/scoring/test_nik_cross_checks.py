"""/predict refuses a NIK that contradicts gender or age (on the decision date) with a 400
naming both fields, and writes nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

from rest_framework.test import APIClient

from audit.models import DecisionRecord
from registry.models import ModelVersion
from tests.scoring.support import VALID

URL = "/api/v1/predict"


def test_a_nik_of_a_woman_with_gender_m_is_a_400_naming_nik_and_gender(
    api: APIClient, champion: ModelVersion, on_date: Any
) -> None:
    on_date(date(2026, 3, 1))
    response = api.post(URL, {**VALID, "gender": "M"}, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"nik", "gender"}
    assert DecisionRecord.objects.count() == 0


def test_an_age_that_does_not_fit_the_nik_on_the_decision_date_is_a_400(
    api: APIClient, champion: ModelVersion, on_date: Any
) -> None:
    on_date(date(2026, 3, 1))  # born 5 January 1990: 36 that day, 35 or 37 fit too
    assert api.post(URL, {**VALID, "age": 37}, format="json").status_code == 200
    response = api.post(URL, {**VALID, "age": 38}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "nik": ["Does not match age."],
        "age": ["Does not match the birth date the NIK encodes."],
    }
    on_date(date(2027, 3, 1))  # a year on, 38 fits
    assert api.post(URL, {**VALID, "age": 38}, format="json").status_code == 200
    assert DecisionRecord.objects.count() == 2
