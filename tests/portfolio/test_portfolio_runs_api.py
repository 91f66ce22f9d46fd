"""``/api/v1/portfolio-runs``: start (202 at once), follow, cancel; refusals write nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from audit.models import PortfolioRunRecord
from portfolio import services
from portfolio.models import PortfolioRun
from portfolio.services import PortfolioRequest, portfolio_run_create, portfolio_run_execute
from registry.models import ModelVersion
from registry.services import api_client_create
from tests.portfolio.conftest import ROWS, role_user
from tests.scoring.support import keyed, signed_in

URL = "/api/v1/portfolio-runs"


def _body(dirs: dict[str, Path], **extra: Any) -> dict[str, Any]:
    return {
        "data_path": str(dirs["data"] / "book.parquet"),
        "out_path": str(dirs["out"] / "scores.parquet"),
        **extra,
    }


def test_a_manager_starts_a_run_that_a_worker_then_executes(
    champion: ModelVersion,
    dirs: dict[str, Path],
    manager: User,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    queued: list[int] = []
    monkeypatch.setattr(services, "_enqueue", lambda run: queued.append(run.pk))
    client = signed_in(manager)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, _body(dirs, as_of="2026-12-01"), format="json")

    assert response.status_code == 202
    body = response.json()
    run = PortfolioRun.objects.get()
    assert queued == [run.pk]
    assert (body["id"], body["status"], body["model_version"], body["rows_total"]) == (
        run.pk,
        "QUEUED",
        "m-portfolio-a",
        ROWS,
    )
    assert body["rule_set"] == run.rule_set.version
    assert run.rule_set.name == "fintech"
    assert run.requested_by == manager
    portfolio_run_execute(run_id=run.pk)
    done = client.get(f"{URL}/{run.pk}").json()
    assert (done["status"], done["rows_done"], done["rows_scored"], done["rows_invalid"]) == (
        "SUCCEEDED",
        ROWS,
        ROWS - 2,
        2,
    )
    assert done["output_sha256"] == PortfolioRunRecord.objects.get().output_sha256
    assert done["seconds_left"] is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"data_path": "/etc/passwd"}, "data_path"),
        ({"out_path": "/tmp/elsewhere.parquet"}, "out_path"),
        ({"model": "m-nope"}, "model"),
        ({"rule_set": "nope"}, "rule_set"),
        ({"as_of": "2026-13-01"}, "as_of"),
    ],
)
def test_a_bad_request_names_the_field_and_writes_nothing(
    champion: ModelVersion,
    dirs: dict[str, Path],
    manager: User,
    change: dict[str, str],
    field: str,
) -> None:
    response = signed_in(manager).post(URL, {**_body(dirs), **change}, format="json")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [field]
    assert PortfolioRun.objects.count() == 0
    assert PortfolioRunRecord.objects.count() == 0


def test_a_missing_input_in_the_data_directory_is_refused(
    champion: ModelVersion, dirs: dict[str, Path], manager: User
) -> None:
    body = _body(dirs, data_path=str(dirs["data"] / "nothing.parquet"))
    response = signed_in(manager).post(URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "data_path": [f"{dirs['data'] / 'nothing.parquet'}: no such file or folder."]
    }
    assert PortfolioRun.objects.count() == 0


def test_loan_systems_and_other_roles_may_not_start_runs(
    champion: ModelVersion, dirs: dict[str, Path]
) -> None:
    _, key = api_client_create(name="los", rule_set_name="fintech")
    credit_officer = role_user("co", "Credit Officer")
    compliance = role_user("cmp", "Compliance Officer")
    assert APIClient().post(URL, _body(dirs), format="json").status_code == 401
    assert keyed(key).post(URL, _body(dirs), format="json").status_code == 403
    assert signed_in(credit_officer).post(URL, _body(dirs), format="json").status_code == 403
    assert signed_in(compliance).post(URL, _body(dirs), format="json").status_code == 403
    assert PortfolioRun.objects.count() == 0


def test_a_queued_run_is_cancelled_at_once_and_audited(
    champion: ModelVersion, dirs: dict[str, Path], manager: User
) -> None:
    request = PortfolioRequest(
        data_path=dirs["data"] / "book.parquet", out_path=dirs["out"] / "scores.parquet"
    )
    run = portfolio_run_create(request=request, requested_by=manager)
    client = signed_in(manager)

    response = client.post(f"{URL}/{run.pk}/cancel")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["error"]) == (
        "CANCELLED",
        "Cancelled before it started.",
    )
    assert portfolio_run_execute(run_id=run.pk).status == "CANCELLED"  # the worker does nothing
    assert not (dirs["out"] / "scores.parquet").exists()
    record = PortfolioRunRecord.objects.get()
    assert (record.status, record.rows, record.output_sha256) == ("CANCELLED", 0, "")
    again = client.post(f"{URL}/{run.pk}/cancel")
    assert again.status_code == 400
    assert again.json()["error"]["fields"] == {"status": [f"Portfolio run {run.pk} is CANCELLED."]}
    assert PortfolioRunRecord.objects.count() == 1


def test_a_running_run_stops_after_its_current_chunk_and_leaves_no_output(
    champion: ModelVersion,
    dirs: dict[str, Path],
    manager: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    request = PortfolioRequest(
        data_path=dirs["data"] / "book.parquet", out_path=dirs["out"] / "scores.parquet"
    )
    run = portfolio_run_create(request=request, requested_by=manager)
    write = services._ProgressWriter.__call__

    def cancel_after_first_chunk(self: Any, counts: Any) -> None:
        if counts.rows == 200:  # a person cancels through the API while the run works
            assert signed_in(manager).post(f"{URL}/{run.pk}/cancel").status_code == 200
        write(self, counts)

    monkeypatch.setattr(services._ProgressWriter, "__call__", cancel_after_first_chunk)

    finished = portfolio_run_execute(run_id=run.pk)

    assert (finished.status, finished.error, finished.rows_done) == ("CANCELLED", "Cancelled.", 200)
    assert sorted(p.name for p in dirs["out"].iterdir()) == []
    record = PortfolioRunRecord.objects.get()
    assert (record.status, record.rows, record.output_sha256) == ("CANCELLED", 200, "")


def test_an_input_changed_after_queueing_fails_the_run(
    champion: ModelVersion, dirs: dict[str, Path], manager: User
) -> None:
    source = dirs["data"] / "book.parquet"
    run = portfolio_run_create(
        request=PortfolioRequest(data_path=source, out_path=dirs["out"] / "s.parquet"),
        requested_by=manager,
    )
    source.write_bytes(source.read_bytes() + b"\0")

    finished = portfolio_run_execute(run_id=run.pk)

    assert (finished.status, finished.error) == (
        "FAILED",
        "The input changed after the run was queued; queue a new run.",
    )
    assert not (dirs["out"] / "s.parquet").exists()
    assert PortfolioRunRecord.objects.get().status == "FAILED"


def test_an_output_that_appeared_after_queueing_is_not_replaced(
    champion: ModelVersion, dirs: dict[str, Path], manager: User
) -> None:
    out = dirs["out"] / "s.parquet"
    run = portfolio_run_create(
        request=PortfolioRequest(data_path=dirs["data"] / "book.parquet", out_path=out),
        requested_by=manager,
    )
    out.write_bytes(b"someone else's")

    finished = portfolio_run_execute(run_id=run.pk)

    assert (finished.status, finished.error) == (
        "FAILED",
        "The output appeared after the run was queued; not replaced.",
    )
    assert out.read_bytes() == b"someone else's"
