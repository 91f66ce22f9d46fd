"""The reaper of portfolio runs: a RUNNING run whose worker stopped beating and a QUEUED run
whose task never arrived end FAILED, audited once, with no output half-written; a live run
is left alone, and a slow worker that comes back finds its run ended."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from audit.models import PortfolioRunRecord
from audit.services import portfolio_run_content_hash
from credit_ml.portfolio import Counts, partial_path, score_files
from portfolio.models import PortfolioRun
from portfolio.services import (
    PortfolioRequest,
    portfolio_run_create,
    portfolio_run_execute,
    portfolio_runs_reap_stale,
)
from portfolio.tasks import reap_stale_portfolio_runs
from registry.models import ModelVersion, RuleSet

pytestmark = pytest.mark.django_db

Status = PortfolioRun.Status


@pytest.fixture(autouse=True)
def _limits(settings: Any) -> None:
    settings.KREDITAX_PORTFOLIO_STALE_SECONDS = 120
    settings.KREDITAX_PORTFOLIO_QUEUED_SECONDS = 3600


def _running(
    version: ModelVersion, out: Path, *, beat_seconds_ago: float, **fields: Any
) -> PortfolioRun:
    now = timezone.now()
    return PortfolioRun.objects.create(
        status=Status.RUNNING,
        data_path="/data/book.parquet",
        input_sha256="a" * 64,
        out_path=str(out),
        model_version=version,
        rule_set=RuleSet.objects.filter(name="fintech").latest("created_at"),
        as_of=date(2026, 12, 1),
        rows_total=500,
        rows_done=200,
        rows_scored=199,
        rows_invalid=1,
        invalid_rows=[7],
        started_at=now - timedelta(hours=1),
        heartbeat_at=now - timedelta(seconds=beat_seconds_ago),
        **fields,
    )


def _record_matches(record: PortfolioRunRecord, run: PortfolioRun) -> None:
    """The audit record says what the run row says, and its content hash verifies."""
    assert (record.run_id, record.status) == (run.pk, run.status)
    assert (record.input_sha256, record.output_sha256) == (run.input_sha256, "")
    assert (record.rows, record.scored, record.invalid) == (
        run.rows_done,
        run.rows_scored,
        run.rows_invalid,
    )
    assert (record.started_at, record.finished_at) == (run.started_at, run.finished_at)
    assert record.content_hash == portfolio_run_content_hash(record)


def test_a_run_without_a_recent_heartbeat_is_failed_audited_and_its_partial_output_removed(
    champion: ModelVersion, tmp_path: Path
) -> None:
    out = tmp_path / "scores.parquet"
    partial_path(out).write_bytes(b"PAR1 half a file")
    run = _running(champion, out, beat_seconds_ago=121)
    beat = run.heartbeat_at
    assert beat is not None

    assert portfolio_runs_reap_stale() == [run.pk]

    run.refresh_from_db()
    assert run.status == Status.FAILED
    assert run.error == (
        f"Worker lost: no heartbeat since {beat.isoformat()}. Its partial output was removed."
    )
    assert run.finished_at is not None
    assert run.output_sha256 == ""
    assert (run.rows_done, run.rows_scored, run.rows_invalid) == (200, 199, 1)
    assert list(tmp_path.iterdir()) == []
    _record_matches(PortfolioRunRecord.objects.get(), run)
    assert portfolio_runs_reap_stale() == []  # once
    assert PortfolioRunRecord.objects.count() == 1


def test_a_lost_dask_run_has_its_partial_folder_removed(
    champion: ModelVersion, tmp_path: Path
) -> None:
    out = tmp_path / "scores"
    partial_path(out).mkdir()
    (partial_path(out) / "part-00000.parquet").write_bytes(b"PAR1")
    run = _running(champion, out, beat_seconds_ago=3600, engine="dask")
    assert portfolio_runs_reap_stale() == [run.pk]
    assert list(tmp_path.iterdir()) == []
    run.refresh_from_db()
    assert run.error.endswith(" Its partial output was removed.")


def test_a_run_with_a_fresh_heartbeat_is_left_running(
    champion: ModelVersion, tmp_path: Path
) -> None:
    out = tmp_path / "scores.parquet"
    partial_path(out).write_bytes(b"PAR1 being written")
    run = _running(champion, out, beat_seconds_ago=60)

    assert portfolio_runs_reap_stale() == []

    fresh = PortfolioRun.objects.get(pk=run.pk)
    assert (fresh.status, fresh.error, fresh.finished_at) == (Status.RUNNING, "", None)
    assert fresh.heartbeat_at == run.heartbeat_at
    assert partial_path(out).read_bytes() == b"PAR1 being written"
    assert PortfolioRunRecord.objects.count() == 0


def test_a_queued_run_whose_task_never_arrived_is_failed_and_a_recent_one_is_not(
    champion: ModelVersion, dirs: dict[str, Path], manager: User
) -> None:
    def queued(name: str) -> PortfolioRun:
        return portfolio_run_create(
            request=PortfolioRequest(
                data_path=dirs["data"] / "book.parquet", out_path=dirs["out"] / name
            ),
            requested_by=manager,
        )

    lost, recent = queued("lost.parquet"), queued("recent.parquet")
    PortfolioRun.objects.filter(pk=lost.pk).update(
        created_at=timezone.now() - timedelta(seconds=3601)
    )
    lost.refresh_from_db()

    assert reap_stale_portfolio_runs() == [lost.pk]  # the beat task

    lost.refresh_from_db()
    recent.refresh_from_db()
    assert lost.status == Status.FAILED
    assert lost.error == (
        "Never started: its task did not reach a worker since it was queued at "
        f"{lost.created_at.isoformat()}."
    )
    assert lost.started_at is None
    assert recent.status == Status.QUEUED
    assert PortfolioRunRecord.objects.get().run_id == lost.pk
    _record_matches(PortfolioRunRecord.objects.get(), lost)
    assert list(dirs["out"].iterdir()) == []
    # A task that arrives late does nothing.
    assert portfolio_run_execute(run_id=lost.pk).status == Status.FAILED
    assert PortfolioRunRecord.objects.count() == 1


def test_finished_runs_are_never_reaped(champion: ModelVersion, tmp_path: Path) -> None:
    for status in (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED):
        _running(champion, tmp_path / f"{status}.parquet", beat_seconds_ago=86_400)
        PortfolioRun.objects.filter(out_path=str(tmp_path / f"{status}.parquet")).update(
            status=status, created_at=timezone.now() - timedelta(days=1)
        )
    assert portfolio_runs_reap_stale() == []
    assert sorted(PortfolioRun.objects.values_list("status", flat=True)) == sorted(
        [Status.CANCELLED, Status.FAILED, Status.SUCCEEDED]
    )
    assert PortfolioRunRecord.objects.count() == 0


def _reaped_at_first_progress(monkeypatch: pytest.MonkeyPatch, run_id: int) -> None:
    """The worker is slow: before its first progress write the reaper fails its run."""

    def slow(*args: Any, progress: Any, **kwargs: Any) -> Counts:
        def reaped_first(counts: Counts) -> None:
            PortfolioRun.objects.filter(pk=run_id).update(
                heartbeat_at=timezone.now() - timedelta(hours=1)
            )
            assert portfolio_runs_reap_stale() == [run_id]
            progress(counts)

        return score_files(*args, progress=reaped_first, **kwargs)

    monkeypatch.setattr("portfolio.services.score_files", slow)


def test_a_slow_worker_finds_its_run_reaped_stops_and_leaves_no_output(
    champion: ModelVersion,
    dirs: dict[str, Path],
    manager: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = dirs["out"] / "slow.parquet"
    run = portfolio_run_create(
        request=PortfolioRequest(data_path=dirs["data"] / "book.parquet", out_path=out),
        requested_by=manager,
    )
    _reaped_at_first_progress(monkeypatch, run.pk)

    ended = portfolio_run_execute(run_id=run.pk)

    run.refresh_from_db()
    assert ended.status == run.status == Status.FAILED
    assert run.error.startswith("Worker lost: no heartbeat since ")
    assert (run.rows_done, run.rows_scored, run.output_sha256) == (0, 0, "")
    assert list(dirs["out"].iterdir()) == []
    _record_matches(PortfolioRunRecord.objects.get(), run)


def test_an_output_completed_after_the_run_was_reaped_is_removed(
    champion: ModelVersion,
    dirs: dict[str, Path],
    manager: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The worker wrote its last chunk and renamed the output just as the reaper failed the
    run: the run stays FAILED as audited, and no output exists that no record names."""
    out = dirs["out"] / "late.parquet"
    run = portfolio_run_create(
        request=PortfolioRequest(data_path=dirs["data"] / "book.parquet", out_path=out),
        requested_by=manager,
    )

    def finished_too_late(*args: Any, **kwargs: Any) -> Counts:
        counts = score_files(*args, **kwargs)
        assert out.exists()
        PortfolioRun.objects.filter(pk=run.pk).update(
            heartbeat_at=timezone.now() - timedelta(hours=1)
        )
        assert portfolio_runs_reap_stale() == [run.pk]
        return counts

    monkeypatch.setattr("portfolio.services.score_files", finished_too_late)

    assert portfolio_run_execute(run_id=run.pk).status == Status.FAILED

    run.refresh_from_db()
    assert run.status == Status.FAILED
    assert run.rows_done == 500  # the last progress before the reaper
    assert list(dirs["out"].iterdir()) == []
    _record_matches(PortfolioRunRecord.objects.get(), run)
