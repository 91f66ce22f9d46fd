from __future__ import annotations

import json
from collections.abc import Callable
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from credit_ml.spec import load_spec
from registry.models import ModelVersion
from registry.services import model_version_make_challenger, model_version_promote
from tests.training.conftest import GERMAN_SPEC

pytestmark = pytest.mark.django_db


def _list(*args: str) -> str:
    stdout = StringIO()
    call_command("list_models", *args, stdout=stdout)
    return stdout.getvalue()


def test_list_models_json_has_one_object_per_version_newest_first_failed_ones_with_all(
    make_version: Callable[..., ModelVersion],
) -> None:
    older = make_version("xgboost-20261124-050000-aaaa")
    failed = make_version("xgboost-20261124-060000-bbbb", status=ModelVersion.Status.FAILED)
    model_version_promote(label=older.label)

    assert [row["label"] for row in json.loads(_list("--json"))] == [older.label]
    rows = json.loads(_list("--json", "--all"))

    assert [row["label"] for row in rows] == [failed.label, older.label]
    assert rows[1] == {
        "label": older.label,
        "algorithm": "xgboost",
        "status": "READY",
        "is_champion": True,
        "aliases": ["champion"],
        "created_at": older.created_at.isoformat(),
        "metrics": {"test_auc": 0.75, "cv_auc_mean": 0.74},
        "data": {"file": None, "rows": None},
        "data_fingerprint": "f" * 64,
        "spec": None,
    }
    assert (rows[0]["is_champion"], rows[0]["aliases"]) == (False, [])
    assert rows[0]["status"] == "FAILED"
    assert rows[0]["metrics"] == {"test_auc": None, "cv_auc_mean": None}


def test_list_models_json_shows_the_data_set_and_maps_the_core_metric_names(
    ready_version: ModelVersion, training_csv: Path
) -> None:
    [row] = json.loads(_list("--json"))
    assert row["metrics"]["test_auc"] == ready_version.metrics["auc"]
    assert "auc" not in row["metrics"]
    assert row["metrics"]["gini"] == ready_version.metrics["gini"]
    assert row["data"] == {"file": training_csv.name, "rows": 3000}
    assert (row["aliases"], row["spec"]) == (["champion"], None)


def test_list_models_prints_an_aligned_table_with_aliases_data_and_spec(
    make_version: Callable[..., ModelVersion],
) -> None:
    make_version("xgboost-20261124-050000-aaaa")
    german = make_version("german-1", dataset_spec=load_spec(GERMAN_SPEC).to_dict())
    ModelVersion.objects.filter(pk=german.pk).update(
        data_path="/data/german_credit.csv", data_rows=1000
    )
    make_version("lgbm-x", status=ModelVersion.Status.PENDING)
    make_version("broken", status=ModelVersion.Status.FAILED)
    model_version_promote(label="xgboost-20261124-050000-aaaa")
    model_version_make_challenger(label="german-1", by=None, reason="shadow")

    lines = _list().splitlines()

    assert lines[0].split() == [
        "LABEL",
        "ALGORITHM",
        "STATUS",
        "ALIASES",
        "TEST",
        "AUC",
        "CV",
        "AUC",
        "DATA",
        "ROWS",
        "SPEC",
        "CREATED",
    ]
    assert [line.split()[0] for line in lines[1:]] == [
        "lgbm-x",
        "german-1",
        "xgboost-20261124-050000-aaaa",
    ]
    pending = ["lgbm-x", "xgboost", "PENDING", "-", "-", "-", "-", "-", "built-in"]
    assert lines[1].split()[:9] == pending
    assert lines[2].split()[:9] == [
        "german-1",
        "xgboost",
        "READY",
        "challenger",
        "0.7500",
        "0.7400",
        "german_credit.csv",
        "1000",
        "german-credit",
    ]
    assert lines[3].split()[:4] == ["xgboost-20261124-050000-aaaa", "xgboost", "READY", "champion"]
    status_column = lines[0].index("STATUS")
    assert lines[1][status_column:].startswith("PENDING")
    assert lines[3][status_column:].startswith("READY")
    assert "broken" in _list("--all")


def test_list_models_says_so_when_the_registry_is_empty(
    make_version: Callable[..., ModelVersion],
) -> None:
    assert _list("--all") == "No model versions yet: run `manage.py train_model --data PATH`.\n"
    assert json.loads(_list("--json")) == []
    make_version("broken", status=ModelVersion.Status.FAILED)
    assert _list() == (
        "No model versions to show: run `manage.py train_model --data PATH` "
        "(list_models --all shows FAILED ones too).\n"
    )
