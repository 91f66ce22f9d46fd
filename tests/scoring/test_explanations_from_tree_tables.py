"""/explain, /predict/batch and the audit record take TreeSHAP and the margin from the
champion's per-leaf tables (credit_ml.treeshap): the booster is never asked."""

from __future__ import annotations

from typing import Any

import pytest
import xgboost as xgb
from rest_framework.test import APIClient

from audit.models import DecisionRecord
from credit_ml.explain import group_contributions
from registry import model_cache
from registry.models import ModelVersion
from tests.scoring.support import VALID, application


def _no_booster(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("the booster was asked to predict")


def _expected(values: dict[str, Any]) -> dict[str, Any]:
    model = model_cache.champion().model
    assert model.tree_tables is not None
    clean = {k: v for k, v in values.items() if k in model.schema.names}
    rows = model.encoder.encode_many([{**dict.fromkeys(model.schema.names), **clean}])
    contribs, margins = model.tree_tables.explain(rows)
    groups, grouped = group_contributions(contribs, model.encoder.column_groups)
    return {
        "base_value": round(float(contribs[0, -1]), 6),
        "margin": round(float(margins[0]), 6),
        "contributions": {g: round(float(v), 6) for g, v in zip(groups, grouped[0], strict=True)},
    }


def test_explain_and_its_record_use_the_tables(
    api: APIClient, champion: ModelVersion, monkeypatch: pytest.MonkeyPatch
) -> None:
    model_cache.champion()  # loaded (and its tables built) before the booster is fenced
    monkeypatch.setattr(xgb.Booster, "predict", _no_booster)
    response = api.post("/api/v1/explain", VALID, format="json")
    assert response.status_code == 200
    explanation = response.json()["explanation"]
    expected = _expected(VALID)
    assert explanation["base_value"] == expected["base_value"]
    assert explanation["margin"] == expected["margin"]
    assert explanation["contributions"] == expected["contributions"]
    record = DecisionRecord.objects.get()
    assert record.attributions["contributions"] == expected["contributions"]
    assert record.attributions["base_value"] == expected["base_value"]


def test_a_batch_uses_the_tables(
    api: APIClient, champion: ModelVersion, monkeypatch: pytest.MonkeyPatch
) -> None:
    model_cache.champion()
    monkeypatch.setattr(xgb.Booster, "predict", _no_booster)
    items = [application(application_id=f"B-{i}", monthly_income=9_000_000 + i) for i in range(3)]
    response = api.post("/api/v1/predict/batch", {"applications": items}, format="json")
    assert response.status_code == 200
    assert response.json()["scored"] == 3
    records = DecisionRecord.objects.order_by("id")
    assert len(records) == 3
    for item, record in zip(items, records, strict=True):
        assert record.attributions["contributions"] == _expected(item)["contributions"]
