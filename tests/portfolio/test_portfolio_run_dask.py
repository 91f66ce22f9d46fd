"""A portfolio run with ``KREDITAX_DASK_SCHEDULER`` set: scored over Dask partitions by a
``LocalCluster`` started in the test, each worker loading the verified version itself."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest
from django.contrib.auth.models import User

from audit.models import PortfolioRunRecord
from credit_ml.portfolio import ChunkRules, path_sha256, score_chunk
from portfolio.services import PortfolioRequest, portfolio_run_create, portfolio_run_execute
from registry.models import ModelVersion
from registry.selectors import rule_set_policy
from registry.services import model_version_load
from tests.portfolio.conftest import ROWS

distributed = pytest.importorskip("distributed", reason="needs dask: pip install dask[distributed]")


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        yield cluster.scheduler_address


def test_a_run_on_the_cluster_writes_one_part_per_input_part(
    champion: ModelVersion,
    dirs: dict[str, Path],
    manager: User,
    portfolio_frame: pd.DataFrame,
    scheduler: str,
    settings: Any,
) -> None:
    settings.KREDITAX_DASK_SCHEDULER = scheduler
    parts = dirs["data"] / "book"
    parts.mkdir()
    portfolio_frame.iloc[:260].to_parquet(parts / "part-a.parquet")
    portfolio_frame.iloc[260:].to_parquet(parts / "part-b.parquet")
    out = dirs["out"] / "scores"
    run = portfolio_run_create(
        request=PortfolioRequest(data_path=parts, out_path=out, as_of=date(2026, 12, 1)),
        requested_by=manager,
    )

    finished = portfolio_run_execute(run_id=run.pk)

    assert (finished.status, finished.engine, finished.error) == ("SUCCEEDED", "dask", "")
    assert finished.cluster == {"workers": 2, "threads": 2}
    assert (finished.rows_done, finished.rows_scored, finished.rows_invalid) == (ROWS, ROWS - 2, 2)
    assert sorted(p.name for p in out.iterdir()) == ["part-00000.parquet", "part-00001.parquet"]
    rules = ChunkRules(rule_set=rule_set_policy(rule_set=run.rule_set), on=date(2026, 12, 1))
    model = model_version_load(version=champion)
    assert pq.read_table(out).equals(score_chunk(model, portfolio_frame, rules=rules, first_row=0))
    record = PortfolioRunRecord.objects.get()
    assert (record.engine, record.input_sha256, record.output_sha256) == (
        "dask",
        path_sha256(parts),
        path_sha256(out),
    )


def test_an_unreachable_scheduler_fails_the_run_with_a_clear_message(
    champion: ModelVersion, dirs: dict[str, Path], manager: User, settings: Any
) -> None:
    settings.KREDITAX_DASK_SCHEDULER = "tcp://127.0.0.1:9"
    run = portfolio_run_create(
        request=PortfolioRequest(
            data_path=dirs["data"] / "book.parquet", out_path=dirs["out"] / "scores"
        ),
        requested_by=manager,
    )

    finished = portfolio_run_execute(run_id=run.pk)

    assert (finished.status, finished.error) == (
        "FAILED",
        "Could not reach the Dask scheduler at tcp://127.0.0.1:9.",
    )
    assert not (dirs["out"] / "scores").exists()
    assert PortfolioRunRecord.objects.get().status == "FAILED"
