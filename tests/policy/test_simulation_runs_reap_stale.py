"""The reaper of simulation runs: a RUNNING run whose worker stopped beating and a QUEUED run
whose task never arrived end FAILED with a readable reason; a live or finished run is left
alone; a slow worker that comes back finds its run ended and leaves it FAILED; the heartbeat
thread keeps a long step alive. The audit trail is never touched."""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from audit.models import DecisionRecord
from policy import services
from policy.models import SimulationRun
from policy.services import (
    simulation_run_create,
    simulation_run_execute,
    simulation_runs_reap_stale,
)
from policy.simulation import SimulationRequest
from policy.tasks import reap_stale_simulation_runs
from registry.services import model_version_promote
from tests.policy.conftest import MID_DSR, Record, client_on, varied

pytestmark = pytest.mark.django_db

Status = SimulationRun.Status
DAY = date(2026, 6, 1)


@pytest.fixture(autouse=True)
def _limits(settings: Any) -> None:
    settings.KREDITAX_SIMULATION_STALE_SECONDS = 120
    settings.KREDITAX_SIMULATION_QUEUED_SECONDS = 3600


@pytest.fixture
def recorded(register: Any, record: Record) -> None:
    model_version_promote(label=register("m-policy-a").label, reason="champion")
    client = client_on("los-reap", "fintech-2026.2")
    for i in range(3):
        record(varied(MID_DSR, i), client=client, day=DAY)


def _run(status: str, *, beat_seconds_ago: float | None, created_seconds_ago: float = 0) -> int:
    now = timezone.now()
    beat = None if beat_seconds_ago is None else now - timedelta(seconds=beat_seconds_ago)
    run = SimulationRun.objects.create(
        status=status,
        stage="replaying under the recorded policy and the candidate",
        progress=0.4,
        request=SimulationRequest(DAY, DAY).to_dict(),
        heartbeat_at=beat,
    )
    SimulationRun.objects.filter(pk=run.pk).update(
        created_at=now - timedelta(seconds=created_seconds_ago)
    )
    return run.pk


def test_a_running_run_without_a_recent_heartbeat_is_failed_once() -> None:
    lost = _run(Status.RUNNING, beat_seconds_ago=121)
    alive = _run(Status.RUNNING, beat_seconds_ago=60)
    beat = SimulationRun.objects.get(pk=lost).heartbeat_at
    assert beat is not None

    assert simulation_runs_reap_stale() == [lost]

    run = SimulationRun.objects.get(pk=lost)
    assert (run.status, run.error) == (
        Status.FAILED,
        f"Worker lost: no heartbeat since {beat.isoformat()}.",
    )
    assert (run.stage, run.progress, run.report) == (
        "replaying under the recorded policy and the candidate",
        0.4,
        None,
    )
    assert run.finished_at is not None
    still = SimulationRun.objects.get(pk=alive)
    assert (still.status, still.error, still.finished_at) == (Status.RUNNING, "", None)
    assert simulation_runs_reap_stale() == []  # once


def test_a_queued_run_whose_task_never_arrived_is_failed_by_the_beat_task() -> None:
    lost = _run(Status.QUEUED, beat_seconds_ago=None, created_seconds_ago=3601)
    recent = _run(Status.QUEUED, beat_seconds_ago=None, created_seconds_ago=60)

    assert reap_stale_simulation_runs() == [lost]

    run = SimulationRun.objects.get(pk=lost)
    assert run.status == Status.FAILED
    assert run.error == (
        "Never started: its task did not reach a worker since it was queued at "
        f"{run.created_at.isoformat()}."
    )
    assert SimulationRun.objects.get(pk=recent).status == Status.QUEUED
    assert simulation_run_execute(run_id=lost).status == Status.FAILED  # a late task: nothing
    assert SimulationRun.objects.get(pk=lost).report is None


def test_finished_runs_are_never_reaped() -> None:
    for status in (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED):
        _run(status, beat_seconds_ago=86_400, created_seconds_ago=86_400)
    assert simulation_runs_reap_stale() == []
    assert sorted(SimulationRun.objects.values_list("status", flat=True)) == sorted(
        [Status.CANCELLED, Status.FAILED, Status.SUCCEEDED]
    )
    assert set(SimulationRun.objects.values_list("error", flat=True)) == {""}


def test_a_slow_worker_finds_its_run_reaped_stops_and_leaves_it_failed(
    recorded: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = simulation_run_create(request=SimulationRequest(DAY, DAY), user=None)
    records = DecisionRecord.objects.count()
    real_progress = services._progress_of

    def reaped_while_replaying(run_id: int) -> Any:
        progress = real_progress(run_id)

        def step(stage: str, fraction: float) -> None:
            if stage.startswith("replaying"):  # the worker stalled; the reaper acts
                SimulationRun.objects.filter(pk=run_id).update(
                    heartbeat_at=timezone.now() - timedelta(hours=1)
                )
                assert simulation_runs_reap_stale() == [run_id]
            progress(stage, fraction)

        return step

    monkeypatch.setattr(services, "_progress_of", reaped_while_replaying)
    ended = simulation_run_execute(run_id=run.pk)

    stored = SimulationRun.objects.get(pk=run.pk)
    assert ended.status == stored.status == Status.FAILED
    assert stored.error.startswith("Worker lost: no heartbeat since ")
    assert stored.report is None
    assert stored.stage == "decrypting inputs"  # the last progress it wrote while RUNNING
    assert DecisionRecord.objects.count() == records


def test_the_claim_and_every_progress_write_the_heartbeat(recorded: None) -> None:
    run = simulation_run_create(request=SimulationRequest(DAY, DAY), user=None)
    assert run.heartbeat_at is None
    before = timezone.now()
    finished = simulation_run_execute(run_id=run.pk)
    assert finished.status == Status.SUCCEEDED
    assert finished.heartbeat_at is not None
    assert before <= finished.heartbeat_at <= timezone.now()


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_heartbeat_thread_beats_through_a_long_step(
    flushable_audit: None, recorded: None, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A step that reports nothing for a while (a large database read) still beats."""
    settings.KREDITAX_SIMULATION_HEARTBEAT_SECONDS = 0.1
    run = simulation_run_create(request=SimulationRequest(DAY, DAY), user=None)
    beats: list[Any] = []
    real_simulate = services.simulate

    def long_read(*, request: SimulationRequest, progress: Any) -> Any:
        claimed = SimulationRun.objects.get(pk=run.pk).heartbeat_at
        time.sleep(1.0)
        beats.extend([claimed, SimulationRun.objects.get(pk=run.pk).heartbeat_at])
        return real_simulate(request=request, progress=progress)

    monkeypatch.setattr(services, "simulate", long_read)
    assert simulation_run_execute(run_id=run.pk).status == Status.SUCCEEDED
    claimed, later = beats
    assert claimed is not None
    assert later is not None
    assert later - claimed >= timedelta(seconds=0.5)  # beaten while nothing reported
