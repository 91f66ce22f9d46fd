from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from registry.models import ModelVersion
from registry.services import api_client_create
from tests.training.conftest import TINY_PARAMS, background_runs, join_background_runs
from training import runs
from training.models import TrainingRun
from training.runs import training_run_cancel, training_run_create

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.training.urls")]

URL = "/api/v1/training-runs"


def _signed_in(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def _body(data_dir: Path, **change: Any) -> dict[str, Any]:
    return {"data_path": str(data_dir / "applications.csv"), "params": TINY_PARAMS, **change}


@dataclass(frozen=True)
class Held:
    """``reached``: the background run got to its training (its claim committed);
    ``release``: the test lets it train."""

    reached: threading.Event
    release: threading.Event


@pytest.fixture
def held_training(monkeypatch: pytest.MonkeyPatch) -> Iterator[Held]:
    """Training waits until the test releases it (so the test sees it unfinished)."""
    held = Held(threading.Event(), threading.Event())
    fit = runs.model_version_fit  # type: ignore[attr-defined,unused-ignore]

    def held_fit(**kwargs: Any) -> Any:
        held.reached.set()
        assert held.release.wait(timeout=120), "the test never released the training"
        return fit(**kwargs)

    monkeypatch.setattr(runs, "model_version_fit", held_fit)
    yield held
    held.release.set()  # never leave a thread waiting


@pytest.mark.django_db(transaction=True)
def test_a_run_is_answered_202_at_once_and_trains_after_the_response(
    manager: User, data_dir: Path, held_training: Held
) -> None:
    """Celery is eager here (no broker), as in the demo: the run must not train inside the
    request. The response comes while the training is held, and the run then succeeds."""
    client = _signed_in(manager)
    response = client.post(URL, _body(data_dir), format="json")

    assert response.status_code == 202
    assert response.json()["status"] == "QUEUED"
    assert [thread.name for thread in background_runs()] == [
        f"training-run-{response.json()['id']}"
    ]
    # Read the database once the run's claim committed: SQLite's shared in-memory test
    # database refuses a read of a table another connection's transaction is writing.
    assert held_training.reached.wait(timeout=120)
    run = TrainingRun.objects.get()
    assert response.json()["id"] == run.pk
    assert run.requested_by == manager
    assert run.status == TrainingRun.Status.RUNNING
    assert ModelVersion.objects.filter(status=ModelVersion.Status.READY).count() == 0

    held_training.release.set()
    join_background_runs()

    body = client.get(f"{URL}/{run.pk}").json()
    assert (body["status"], body["stage"], body["progress"]) == ("SUCCEEDED", "done", 1.0)
    assert body["model_version"] == ModelVersion.objects.get().label
    assert body["requested_by"] == "model-manager"


def test_the_run_is_sent_to_the_broker_inside_the_transaction_that_creates_it(
    manager: User,
    data_dir: Path,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from django.db import connection

    from training.tasks import run_training

    sent: list[tuple[dict[str, Any], list[int], int]] = []

    def send(**kwargs: Any) -> None:
        rows = list(TrainingRun.objects.values_list("pk", flat=True))
        sent.append((kwargs, rows, len(connection.atomic_blocks)))

    monkeypatch.setattr(run_training, "apply_async", send)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = _signed_in(manager).post(URL, _body(data_dir), format="json")
    assert response.status_code == 202
    run = TrainingRun.objects.get()
    [(call, rows, depth)] = sent
    assert (call["args"], call["task_id"], rows) == ([run.pk], run.celery_task_id, [run.pk])
    assert depth == 2  # the test's transaction and training_run_start's
    assert callbacks == []
    assert background_runs() == []


def test_anonymous_requests_are_refused_with_401(data_dir: Path) -> None:
    response = APIClient().post(URL, _body(data_dir), format="json")
    assert response.status_code == 401
    assert APIClient().get(URL).status_code == 401
    assert TrainingRun.objects.count() == 0


def test_a_loan_system_key_is_refused_with_403(data_dir: Path) -> None:
    _, key = api_client_create(name="los-fintech", rule_set_name="fintech")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert client.post(URL, _body(data_dir), format="json").status_code == 403
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}/1").status_code == 403
    assert TrainingRun.objects.count() == 0


def test_a_signed_in_user_without_the_permission_is_refused_with_403(data_dir: Path) -> None:
    user = User.objects.create_user("officer", is_staff=True)
    response = _signed_in(user).post(URL, _body(data_dir), format="json")
    assert response.status_code == 403
    assert _signed_in(user).get(URL).status_code == 403
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


@pytest.fixture
def three_runs(data_dir: Path, manager: User) -> list[TrainingRun]:
    """Three queued runs, oldest first; the middle one cancelled."""
    made = [
        training_run_create(
            data_path=data_dir / "applications.csv",
            algorithm="xgboost",
            params=TINY_PARAMS,
            requested_by=manager,
        )
        for _ in range(3)
    ]
    training_run_cancel(run_id=made[1].pk, by=manager)
    return made


def test_the_runs_are_listed_newest_first_in_pages(
    manager: User, three_runs: list[TrainingRun]
) -> None:
    client = _signed_in(manager)
    body = client.get(URL).json()
    assert body["count"] == 3
    assert [run["id"] for run in body["results"]] == [r.pk for r in reversed(three_runs)]
    assert [run["status"] for run in body["results"]] == ["QUEUED", "CANCELLED", "QUEUED"]
    assert body["results"][0]["requested_by"] == "model-manager"

    first = client.get(URL, {"page_size": 2}).json()
    second = client.get(URL, {"page_size": 2, "page": 2}).json()
    assert [run["id"] for run in first["results"]] == [three_runs[2].pk, three_runs[1].pk]
    assert [run["id"] for run in second["results"]] == [three_runs[0].pk]
    assert first["next"].endswith("page=2&page_size=2")
    assert second["next"] is None


def test_the_runs_can_be_filtered_by_status(manager: User, three_runs: list[TrainingRun]) -> None:
    body = _signed_in(manager).get(URL, {"status": "CANCELLED"}).json()
    assert (body["count"], [run["id"] for run in body["results"]]) == (1, [three_runs[1].pk])


def test_an_unknown_status_filter_is_a_400_naming_the_field(
    manager: User, three_runs: list[TrainingRun]
) -> None:
    response = _signed_in(manager).get(URL, {"status": "DONE"})
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "status": ["Must be one of: QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED."]
    }
