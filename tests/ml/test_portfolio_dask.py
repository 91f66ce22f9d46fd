"""Portfolio scoring over Dask partitions on a LocalCluster started in the test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow.parquet as pq
import pytest

from credit_ml.artifacts import ArtifactIntegrityError, SavedArtifact
from credit_ml.portfolio import (
    ChunkRules,
    Counts,
    ModelRef,
    PortfolioInputError,
    score_chunk,
)
from credit_ml.scoring import ScoringModel
from tests.ml.test_portfolio import RULES

distributed = pytest.importorskip("distributed", reason="needs dask: pip install dask[distributed]")
from credit_ml.distributed import cluster_size, score_on_cluster  # noqa: E402

if TYPE_CHECKING:
    from distributed import Client


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def test_partitions_are_scored_on_the_workers_as_one_machine_scores_them(
    client: Client,
    saved: SavedArtifact,
    scoring_model: ScoringModel,
    applications: pd.DataFrame,
    tmp_path: Path,
) -> None:
    frame = applications.head(400).copy()
    frame.loc[250, "age"] = 12
    parts = tmp_path / "in"
    parts.mkdir()
    frame.iloc[:150].to_parquet(parts / "part-0.parquet")
    frame.iloc[150:].to_parquet(parts / "part-1.parquet")
    seen: list[Counts] = []
    ref = ModelRef(label="m-test-1", path=str(saved.path), sha256=saved.sha256)

    counts = score_on_cluster(
        client, ref, parts, tmp_path / "out", rules=RULES, progress=seen.append
    )

    assert counts == Counts(rows=400, scored=399, invalid=1, invalid_rows=(250,))
    assert len(seen) == 2  # one call per part, in finishing order
    assert seen[-1] == counts
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "part-00000.parquet",
        "part-00001.parquet",
    ]
    assert pq.read_table(tmp_path / "out").equals(
        score_chunk(scoring_model, frame, rules=RULES, first_row=0)
    )
    assert cluster_size(client) == {"workers": 2, "threads": 2}


def test_a_worker_refuses_a_model_whose_hash_differs(
    client: Client, saved: SavedArtifact, applications: pd.DataFrame, tmp_path: Path
) -> None:
    applications.head(20).to_parquet(tmp_path / "in.parquet")
    ref = ModelRef(label="m-test-1", path=str(saved.path), sha256="0" * 64)
    with pytest.raises(ArtifactIntegrityError, match="failed its integrity check"):
        score_on_cluster(client, ref, tmp_path / "in.parquet", tmp_path / "out", rules=RULES)
    assert not (tmp_path / "out").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.parquet"]


def test_csv_is_refused_by_the_dask_engine(
    client: Client, saved: SavedArtifact, tmp_path: Path
) -> None:
    (tmp_path / "in.csv").write_text("a\n1\n")
    ref = ModelRef(label="m-test-1", path=str(saved.path), sha256=saved.sha256)
    with pytest.raises(PortfolioInputError, match="reads Parquet only"):
        score_on_cluster(
            client,
            ref,
            tmp_path / "in.csv",
            tmp_path / "out",
            rules=ChunkRules(rule_set=RULES.rule_set, on=RULES.on),
        )
    assert not (tmp_path / "out").exists()
