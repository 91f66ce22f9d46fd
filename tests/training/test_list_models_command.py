from __future__ import annotations

import json
from collections.abc import Callable
from io import StringIO

import pytest
from django.core.management import call_command

from registry.models import ModelVersion
from registry.services import model_version_promote

pytestmark = pytest.mark.django_db


def _list(*args: str) -> str:
    stdout = StringIO()
    call_command("list_models", *args, stdout=stdout)
    return stdout.getvalue()


def test_list_models_json_has_one_object_per_version_newest_first(
    make_version: Callable[..., ModelVersion],
) -> None:
    older = make_version("xgboost-20261124-050000-aaaa")
    failed = make_version("xgboost-20261124-060000-bbbb", status=ModelVersion.Status.FAILED)
    model_version_promote(label=older.label)

    rows = json.loads(_list("--json"))

    assert [row["label"] for row in rows] == [failed.label, older.label]
    assert rows[1] == {
        "label": older.label,
        "algorithm": "xgboost",
        "status": "READY",
        "is_champion": True,
        "created_at": older.created_at.isoformat(),
        "metrics": {"test_auc": 0.75, "cv_auc_mean": 0.74},
        "data_fingerprint": "f" * 64,
    }
    assert rows[0]["is_champion"] is False
    assert rows[0]["status"] == "FAILED"
    assert rows[0]["metrics"] == {"test_auc": None, "cv_auc_mean": None}


def test_list_models_json_maps_the_core_metric_names(ready_version: ModelVersion) -> None:
    [row] = json.loads(_list("--json"))
    assert row["metrics"]["test_auc"] == ready_version.metrics["auc"]
    assert "auc" not in row["metrics"]
    assert row["metrics"]["gini"] == ready_version.metrics["gini"]


def test_list_models_prints_an_aligned_table_with_the_champion_starred(
    make_version: Callable[..., ModelVersion],
) -> None:
    make_version("xgboost-20261124-050000-aaaa")
    make_version("lgbm-x", status=ModelVersion.Status.PENDING)
    model_version_promote(label="xgboost-20261124-050000-aaaa")

    lines = _list().splitlines()

    assert lines[0].split() == [
        "LABEL",
        "ALGORITHM",
        "STATUS",
        "CHAMPION",
        "TEST",
        "AUC",
        "CV",
        "AUC",
        "CREATED",
    ]
    assert lines[1].split()[:4] == ["lgbm-x", "xgboost", "PENDING", "-"]
    assert lines[2].split()[:6] == [
        "xgboost-20261124-050000-aaaa",
        "xgboost",
        "READY",
        "*",
        "0.7500",
        "0.7400",
    ]
    status_column = lines[0].index("STATUS")
    assert lines[1][status_column:].startswith("PENDING")
    assert lines[2][status_column:].startswith("READY")


def test_list_models_says_so_when_the_registry_is_empty() -> None:
    assert _list() == "No model versions yet: run `manage.py train_model --data PATH`.\n"
    assert json.loads(_list("--json")) == []
