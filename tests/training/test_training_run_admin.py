from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.training.conftest import TINY_PARAMS
from training.models import TrainingRun

pytestmark = pytest.mark.django_db

START = "/admin/training/trainingrun/start/"
LIST = "/admin/training/trainingrun/"


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_manager_queues_a_run_from_the_start_form(
    manager: User, data_dir: Path, django_capture_on_commit_callbacks: Any
) -> None:
    form = {
        "data_path": str(data_dir / "applications.csv"),
        "algorithm": "xgboost",
        "params": json.dumps(TINY_PARAMS),
        "spec_path": "",
    }
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = _client(manager).post(START, form)
    assert response.status_code == 302
    run = TrainingRun.objects.get()
    assert (run.status, run.params, run.requested_by) == ("QUEUED", TINY_PARAMS, manager)
    assert len(callbacks) == 1


def test_the_start_form_shows_errors_and_writes_nothing(manager: User, data_dir: Path) -> None:
    form = {"data_path": "/etc/passwd", "algorithm": "xgboost", "params": "[1]"}
    response = _client(manager).post(START, form)
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "data_path": ["Must lie inside the configured data directory."],
        "params": ["Must be a JSON object."],
    }
    assert TrainingRun.objects.count() == 0


def test_staff_without_the_permission_cannot_open_the_start_form(data_dir: Path) -> None:
    user = User.objects.create_user("officer", is_staff=True)
    assert _client(user).get(START).status_code == 403


def test_the_cancel_action_cancels_a_queued_run(manager: User) -> None:
    from django.contrib.auth.models import Permission

    manager.user_permissions.add(Permission.objects.get(codename="view_trainingrun"))
    run = TrainingRun.objects.create(algorithm="xgboost", data_path="/x.csv", data_sha256="f" * 64)
    response = _client(manager).post(LIST, {"action": "cancel_runs", "_selected_action": [run.pk]})
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == TrainingRun.Status.CANCELLED
    assert run.cancelled_by == manager
