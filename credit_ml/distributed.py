"""Portfolio scoring on a Dask cluster: the same per-chunk function over Dask partitions.

``score_on_cluster`` reads Parquet with ``dask.dataframe.read_parquet`` (one partition per
part, read by the workers), maps ``portfolio.score_partition`` over the partitions (each
worker loads and verifies the model version itself, from the artifact store it must see),
and has each worker write its partition as one part of the output folder. The caller's
process only follows progress and may cancel. Workers need the input, the artifact store
and the output folder at the same paths as the caller.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import dask.dataframe as dd
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from dask.delayed import delayed
from distributed import Client, as_completed

from credit_ml.portfolio import (
    NO_ROWS,
    OUTPUT_SCHEMA,
    ChunkRules,
    Counts,
    ModelRef,
    PortfolioInputError,
    Progress,
    input_files,
    output_meta,
    partial_path,
    score_partition,
    table_counts,
)


def connect(address: str, *, timeout: float = 10.0) -> Client:
    """A client of the scheduler at ``address`` (``tcp://host:8786``), or an error within
    ``timeout`` seconds."""
    return Client(address, timeout=f"{timeout}s", set_as_default=False)


def score_on_cluster(
    client: Client,
    ref: ModelRef,
    source: Path,
    out: Path,
    *,
    rules: ChunkRules,
    progress: Progress | None = None,
) -> Counts:
    """Score every row of the Parquet ``source`` (a file or a folder of parts) into the
    folder ``out`` (``part-00000.parquet``, ...: one part per input part, rows in input
    order), on the cluster of ``client``.

    ``progress`` is called with the counts so far each time a part is written; an
    exception it raises (``PortfolioCancelled``) cancels the remaining work and removes the
    partial output. Raises ``PortfolioInputError`` (nothing written) for CSV or unusable
    input, or an existing ``out``.
    """
    files = _parquet_files(source)
    if out.exists():
        raise PortfolioInputError(f"{out}: the output already exists; it is never replaced.")
    offsets = _offsets(files)
    partial = partial_path(out)
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    frame = dd.read_parquet([str(p) for p in files], split_row_groups=False)
    scored = frame.map_partitions(score_partition, ref, rules, offsets, meta=output_meta())
    parts = [
        delayed(_write_part)(part, str(partial / f"part-{i:05d}.parquet"))
        for i, part in enumerate(scored.to_delayed())
    ]
    futures = client.compute(parts)
    counts = NO_ROWS
    try:
        for future in as_completed(futures, loop=client.loop):
            counts = counts + future.result()
            if progress is not None:
                progress(counts)
    except BaseException:
        client.cancel(futures)
        shutil.rmtree(partial, ignore_errors=True)
        raise
    partial.replace(out)
    return counts


def _parquet_files(source: Path) -> list[Path]:
    files = input_files(source)
    csv = [p.name for p in files if p.suffix.lower() == ".csv"]
    if csv:
        raise PortfolioInputError(
            f"{csv[0]}: the Dask engine reads Parquet only; convert the CSV or score it on "
            "one machine."
        )
    return files


def _offsets(files: Sequence[Path]) -> list[int]:
    """Each part's first row's position in the whole input (from the Parquet metadata)."""
    offsets, total = [], 0
    for path in files:
        offsets.append(total)
        total += pq.ParquetFile(path).metadata.num_rows
    return offsets


def _write_part(frame: pd.DataFrame, path: str) -> Counts:
    """Write one scored partition (on the worker); its counts."""
    table = pa.Table.from_pandas(frame, schema=OUTPUT_SCHEMA, preserve_index=False)
    pq.write_table(table, path)
    return table_counts(table)


def cluster_size(client: Client) -> dict[str, Any]:
    """Workers and their threads, as recorded with a run or a model version."""
    workers = client.scheduler_info(n_workers=-1).get("workers", {})
    return {
        "workers": len(workers),
        "threads": sum(int(w.get("nthreads", 0)) for w in workers.values()),
    }
