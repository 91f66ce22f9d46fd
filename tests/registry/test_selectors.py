from __future__ import annotations

from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from registry.models import ModelVersion
from registry.selectors import (
    champion_version,
    metrics_summary,
    model_version_get,
    model_version_list,
)
from registry.services import model_version_promote

pytestmark = pytest.mark.django_db

MakeVersion = Callable[..., ModelVersion]


def test_champion_version_is_none_until_a_promotion() -> None:
    assert champion_version() is None


def test_the_version_list_flags_the_champion_in_one_query(
    make_version: MakeVersion, django_assert_num_queries: Any
) -> None:
    for label in ["a", "b", "c"]:
        make_version(label)
    model_version_promote(label="b")
    with django_assert_num_queries(1):
        flags = {v.label: v.is_champion for v in model_version_list()}
    assert flags == {"a": False, "b": True, "c": False}


def test_list_models_runs_one_query_however_many_versions(
    make_version: MakeVersion, django_assert_num_queries: Any
) -> None:
    for index in range(5):
        make_version(f"v{index}")
    with django_assert_num_queries(1):
        call_command("list_models", "--json", stdout=StringIO())


def test_model_version_get_finds_by_label_or_raises(make_version: MakeVersion) -> None:
    version = make_version("wanted")
    assert model_version_get(label="wanted") == version
    with pytest.raises(ModelVersion.DoesNotExist):
        model_version_get(label="missing")


def test_metrics_summary_renames_the_test_auc_and_keeps_the_rest() -> None:
    assert metrics_summary(metrics={"auc": 0.8, "cv_auc_mean": 0.79, "ks": 0.4}) == {
        "test_auc": 0.8,
        "cv_auc_mean": 0.79,
        "ks": 0.4,
    }
