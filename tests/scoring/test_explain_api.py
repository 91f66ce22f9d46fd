"""/explain: the decision plus every field's attribution and the waterfall chart's address."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from audit.models import DecisionRecord
from credit_ml.schema import INDONESIAN_SCHEMA
from registry.models import ModelVersion
from tests.scoring.support import VALID, application, assert_nothing_written

URL = "/api/v1/explain"
MODEL_GROUPS = {s.name for s in INDONESIAN_SCHEMA.model_fields} | {
    d.name for d in INDONESIAN_SCHEMA.derived
}


def explain(api: APIClient, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post(URL, body, format="json")
    assert response.status_code == 200, response.content
    data: dict[str, Any] = response.json()
    return data


def test_the_explanation_gives_every_fields_contribution_adding_up_to_the_margin(
    api: APIClient, champion: ModelVersion
) -> None:
    explanation = explain(api, VALID)["explanation"]
    assert set(explanation) == {"base_value", "margin", "contributions", "waterfall_url"}
    contributions = explanation["contributions"]
    assert set(contributions) <= MODEL_GROUPS
    total = explanation["base_value"] + sum(contributions.values())
    assert total == pytest.approx(explanation["margin"], abs=1e-4)
    magnitudes = [abs(value) for value in contributions.values()]
    assert magnitudes == sorted(magnitudes, reverse=True)


def test_the_explanation_is_the_recorded_attribution(
    api: APIClient, champion: ModelVersion
) -> None:
    body = explain(api, VALID)
    record = DecisionRecord.objects.get()
    assert record.endpoint == "explain"
    explanation = {k: v for k, v in body["explanation"].items() if k != "waterfall_url"}
    assert record.attributions == explanation


def test_the_waterfall_url_serves_an_svg_of_the_recorded_decision(
    api: APIClient, champion: ModelVersion
) -> None:
    body = explain(api, VALID)
    url = body["explanation"]["waterfall_url"]
    assert url == f"/api/v1/explain/{body['request_id']}/waterfall.svg"
    response = api.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    svg = response.content.decode()
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert svg.endswith("</svg>")
    assert "Base value" in svg
    assert "Applicant (PD" in svg
    assert "Income left after installments" in svg  # labels, not column names


def test_predict_answers_without_an_explanation(api: APIClient, champion: ModelVersion) -> None:
    body = api.post("/api/v1/predict", VALID, format="json").json()
    assert "explanation" not in body


def test_an_invalid_explain_request_is_400_and_writes_nothing(
    api: APIClient, champion: ModelVersion
) -> None:
    response = api.post(URL, application(loan_term_months=0), format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"loan_term_months"}
    assert_nothing_written()
