from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from registry.models import ModelVersion
from registry.services import api_client_create
from tests.training.conftest import TINY_PARAMS
from training.models import TrainingRun

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.training.urls")]

URL = "/api/v1/training-runs"


def _signed_in(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def _body(data_dir: Path, **change: Any) -> dict[str, Any]:
    return {"data_path": str(data_dir / "applications.csv"), "params": TINY_PARAMS, **change}


def test_a_model_manager_starts_a_run_and_watches_it_succeed(
    manager: User, data_dir: Path, django_capture_on_commit_callbacks: Any
) -> None:
    client = _signed_in(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, _body(data_dir), format="json")
    assert response.status_code == 201
    run = TrainingRun.objects.get()
    assert response.json()["id"] == run.pk
    assert response.json()["status"] == "QUEUED"
    assert run.requested_by == manager

    detail = client.get(f"{URL}/{run.pk}")
    assert detail.status_code == 200
    body = detail.json()
    assert (body["status"], body["stage"], body["progress"]) == ("SUCCEEDED", "done", 1.0)
    assert body["model_version"] == ModelVersion.objects.get().label
    assert body["requested_by"] == "model-manager"


def test_anonymous_requests_are_refused_with_401(data_dir: Path) -> None:
    response = APIClient().post(URL, _body(data_dir), format="json")
    assert response.status_code == 401
    assert TrainingRun.objects.count() == 0


def test_a_loan_system_key_is_refused_with_403(data_dir: Path) -> None:
    _, key = api_client_create(name="los-fintech", rule_set_name="fintech")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert client.post(URL, _body(data_dir), format="json").status_code == 403
    assert client.get(f"{URL}/1").status_code == 403
    assert TrainingRun.objects.count() == 0


def test_a_signed_in_user_without_the_permission_is_refused_with_403(data_dir: Path) -> None:
    user = User.objects.create_user("officer", is_staff=True)
    response = _signed_in(user).post(URL, _body(data_dir), format="json")
    assert response.status_code == 403
    assert TrainingRun.objects.count() == 0


def test_a_path_outside_the_data_directory_is_refused(
    manager: User, data_dir: Path, training_csv: Path
) -> None:
    response = _signed_in(manager).post(
        URL, _body(data_dir, data_path=str(training_csv)), format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "data_path": ["Must lie inside the configured data directory."]
    }
    assert TrainingRun.objects.count() == 0


def test_unknown_parameters_are_refused_with_the_reason(manager: User, data_dir: Path) -> None:
    response = _signed_in(manager).post(URL, _body(data_dir, params={"trees": 5}), format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "non_field_errors": ["Unknown training parameter(s): trees."]
    }
    assert TrainingRun.objects.count() == 0


def test_an_unknown_run_is_404(manager: User) -> None:
    assert _signed_in(manager).get(f"{URL}/999").status_code == 404
