"""Portfolio scoring: many rows from CSV or Parquet to a Parquet table of scores, in chunks.

A portfolio run re-scores existing borrowers or applications in bulk (provisioning, early
warning): a score per row, not a credit decision on an application, so nothing here writes
an audit record. ``score_chunk`` is the one per-chunk function: on one machine
``score_files`` streams Arrow batches through it; on a Dask cluster each partition goes
through it (``score_partition``), on a worker that loads the verified model itself
(``ModelRef``). A row that cannot be scored gets its error in the ``error`` column; the
job never stops on one bad row.

Output columns (``OUTPUT_SCHEMA``): ``row`` (0-based position in the input, across every
part in name order), ``reference`` (the schema's reference column, e.g. ``application_id``),
``probability_of_default``, ``score``, ``grade``, ``decision`` (under the chosen rule set on
the as-of date), ``reason_{1..4}_code`` and ``reason_{1..4}_contribution`` (log-odds;
null for a failed rule's reason), and ``error`` (JSON: field to messages; null when scored).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from credit_ml.artifacts import load_artifact
from credit_ml.decision import CodedDecisions, decide_codes
from credit_ml.policy import RuleSet
from credit_ml.schema import ApplicationSchema
from credit_ml.scoring import ScoringModel
from credit_ml.table_validation import read_column, validate_table

#: How many reasons a row carries (Reg B's and the product's maximum).
REASONS = 4

OUTPUT_SCHEMA = pa.schema(
    [
        pa.field("row", pa.int64(), nullable=False),
        pa.field("reference", pa.string()),
        pa.field("probability_of_default", pa.float64()),
        pa.field("score", pa.int32()),
        pa.field("grade", pa.string()),
        pa.field("decision", pa.string()),
        *(
            field
            for i in range(1, REASONS + 1)
            for field in (
                pa.field(f"reason_{i}_code", pa.string()),
                pa.field(f"reason_{i}_contribution", pa.float64()),
            )
        ),
        pa.field("error", pa.string()),
    ]
)

#: Rows per chunk on one machine: large enough for the booster's threads, small enough that
#: a few chunks in flight stay far below the memory bound.
CHUNK_ROWS = 20_000

#: Chunks being scored at once on one machine (each by the booster's threads); with the
#: chunk being read, at most this plus one chunk are in memory.
IN_FLIGHT = 2

SUFFIXES = (".csv", ".parquet", ".pq")


class PortfolioInputError(ValueError):
    """The input cannot be scored at all (no such file, no parts, a required column
    missing); the message names the problem and the run writes no output."""


class PortfolioCancelled(Exception):
    """Raised by a progress callback to stop the job; the partial output is removed."""


@dataclass(frozen=True)
class ChunkRules:
    """What every chunk of a job is scored under: the rule set and the as-of date."""

    rule_set: RuleSet
    on: date


#: How many invalid rows' numbers a job keeps (the output has every row's error).
INVALID_ROWS_KEPT = 100


@dataclass(frozen=True)
class Counts:
    """Rows read, scored and refused (``rows == scored + invalid``), and the numbers of the
    first ``INVALID_ROWS_KEPT`` refused rows in input order."""

    rows: int
    scored: int
    invalid: int
    invalid_rows: tuple[int, ...] = ()

    def __add__(self, other: Counts) -> Counts:
        kept = tuple(sorted(self.invalid_rows + other.invalid_rows))[:INVALID_ROWS_KEPT]
        return Counts(
            self.rows + other.rows,
            self.scored + other.scored,
            self.invalid + other.invalid,
            kept,
        )


NO_ROWS = Counts(0, 0, 0)


# --------------------------------------------------------------------------------------
# One chunk
# --------------------------------------------------------------------------------------


def reference_column(schema: ApplicationSchema) -> str | None:
    """The column that identifies a row in the output: ``application_id`` when the schema
    has it, else its first identity field, else none (the ``row`` number alone)."""
    if "application_id" in schema.names:
        return "application_id"
    identity = schema.identity_fields
    return identity[0] if identity else None


def score_chunk(
    model: ScoringModel, chunk: pa.Table | pd.DataFrame, *, rules: ChunkRules, first_row: int
) -> pa.Table:
    """Score one chunk of input rows: one output row per input row, in input order.

    Columns not in the model's schema are ignored; a null (or NaN) cell is a missing value.
    Each row is validated as the API validates an application (``validate_record``,
    identity checks against the as-of date included, here over columns:
    ``validate_table``); a row that fails validation or cannot be decided gets its error
    (field to messages, JSON) instead of a score. Every other row gets what
    ``decide_many`` decides for it (the same rules, PD, score, grade and decision), with
    its first four reasons' codes and contributions (``ReasonBuilder.codes``: ``build``
    without the texts). ``first_row`` is the chunk's first row's position in the whole
    input.
    """
    schema = model.schema
    table = _as_table(chunk)
    checked = validate_table(table, schema, on=rules.on)
    errors = dict(checked.errors)
    decided: CodedDecisions | None = None
    if checked.records:
        decided = decide_codes(
            model, checked.records, rule_set=rules.rule_set, on=rules.on, schema=schema
        )
        for k, error in decided.errors.items():
            errors[checked.positions[k]] = {error.field: [error.message]}
    return _output(table, reference_column(schema), checked.positions, decided, errors, first_row)


def _as_table(chunk: pa.Table | pd.DataFrame) -> pa.Table:
    if isinstance(chunk, pd.DataFrame):
        return pa.Table.from_pandas(chunk, preserve_index=False)
    return chunk


def _output(
    table: pa.Table,
    reference: str | None,
    positions: Sequence[int],
    decided: CodedDecisions | None,
    errors: Mapping[int, Mapping[str, list[str]]],
    first_row: int,
) -> pa.Table:
    n = table.num_rows
    columns: dict[str, Any] = {name: [None] * n for name in OUTPUT_SCHEMA.names}
    columns["row"] = np.arange(first_row, first_row + n, dtype=np.int64)
    if reference is not None and reference in table.column_names:
        columns["reference"] = [_text(v) for v in read_column(table, reference).to_pylist()]
    if decided is not None:
        _place(columns, positions, decided)
    for position, fields in errors.items():
        columns["error"][position] = json.dumps(fields, sort_keys=True, ensure_ascii=False)
    return pa.table(columns, schema=OUTPUT_SCHEMA)


def _place(columns: dict[str, Any], positions: Sequence[int], decided: CodedDecisions) -> None:
    """The decided rows' values at their positions in the chunk."""
    pairs = (
        ("probability_of_default", decided.probability_of_default),
        ("score", decided.credit_score),
        ("grade", decided.risk_grade),
        ("decision", decided.decision),
    )
    for name, values in pairs:
        column = columns[name]
        for position, value in zip(positions, values, strict=True):
            column[position] = value
    for position, reasons in zip(positions, decided.reasons, strict=True):
        for i, (code, contribution) in enumerate(reasons[:REASONS], start=1):
            columns[f"reason_{i}_code"][position] = code
            columns[f"reason_{i}_contribution"][position] = contribution


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


# --------------------------------------------------------------------------------------
# Inputs and outputs
# --------------------------------------------------------------------------------------


def input_files(path: Path) -> list[Path]:
    """The file itself, or a folder's ``.csv``/``.parquet`` parts in name order."""
    if path.is_file():
        if path.suffix.lower() not in SUFFIXES:
            raise PortfolioInputError(f"{path.name}: expected a .csv or .parquet file.")
        return [path]
    if path.is_dir():
        parts = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)
        if not parts:
            raise PortfolioInputError(f"{path}: no .csv or .parquet parts in the folder.")
        return parts
    raise PortfolioInputError(f"{path}: no such file or folder.")


def path_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, or of a folder's parts: each part's name and its own
    SHA-256, one line each, in name order (so renaming or changing a part changes it)."""
    if path.is_file():
        return _file_sha256(path)
    lines = "".join(f"{part.name} {_file_sha256(part)}\n" for part in input_files_or_parts(path))
    return hashlib.sha256(lines.encode()).hexdigest()


def input_files_or_parts(path: Path) -> list[Path]:
    """Every regular file of a folder in name order (inputs and outputs alike)."""
    return sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def count_rows(files: Sequence[Path]) -> int:
    """Rows in the input: exact for Parquet (its metadata), the lines after the header for
    CSV (a quoted cell spanning lines would count twice: an estimate for progress only)."""
    total = 0
    for path in files:
        if path.suffix.lower() == ".csv":
            total += max(_lines(path) - 1, 0)
        else:
            total += pq.ParquetFile(path).metadata.num_rows
    return total


def _lines(path: Path) -> int:
    lines, last = 0, b"\n"
    with path.open("rb") as stream:
        while block := stream.read(1 << 20):
            lines += block.count(b"\n")
            last = block[-1:]
    return lines + (last != b"\n")


def check_columns(files: Sequence[Path], schema: ApplicationSchema) -> None:
    """Refuse input whose first part lacks a required field's column (every row would fail)."""
    header = _header(files[0])
    missing = [spec.name for spec in schema.fields if spec.required and spec.name not in header]
    if missing:
        raise PortfolioInputError(
            f"{files[0].name}: required columns missing: {', '.join(missing)}."
        )


def _header(path: Path) -> list[str]:
    if path.suffix.lower() == ".csv":
        with pacsv.open_csv(path) as reader:
            return list(reader.schema.names)
    return list(pq.ParquetFile(path).schema_arrow.names)


def read_batches(
    files: Sequence[Path], schema: ApplicationSchema, *, rows: int = CHUNK_ROWS
) -> Iterator[pa.Table]:
    """The input's rows in tables of at most ``rows`` rows, only the schema's columns read,
    one batch at a time (CSV text fields stay text: a NIK is never read as a number)."""
    for path in files:
        if path.suffix.lower() == ".csv":
            yield from _csv_batches(path, schema, rows)
        else:
            parquet = pq.ParquetFile(path)
            names = [n for n in schema.names if n in parquet.schema_arrow.names]
            for batch in parquet.iter_batches(batch_size=rows, columns=names):
                yield pa.Table.from_batches([batch])


def _csv_batches(path: Path, schema: ApplicationSchema, rows: int) -> Iterator[pa.Table]:
    header = set(_header(path))
    types = {
        spec.name: pa.string() if spec.dtype == "str" else pa.float64()
        for spec in schema.fields
        if spec.name in header
    }
    convert = pacsv.ConvertOptions(
        column_types=types, include_columns=list(types), strings_can_be_null=True
    )
    # Blocks of about 64 bytes a row: batches near ``rows`` rows, re-cut to exactly that.
    read = pacsv.ReadOptions(block_size=max(rows * 64, 1 << 16))
    pending: list[pa.RecordBatch] = []
    held = 0
    with pacsv.open_csv(path, read_options=read, convert_options=convert) as reader:
        for batch in reader:
            pending.append(batch)
            held += batch.num_rows
            while held >= rows:
                table = pa.Table.from_batches(pending)
                yield table.slice(0, rows)
                rest = table.slice(rows)
                pending, held = rest.to_batches(), rest.num_rows
    if held:
        yield pa.Table.from_batches(pending)


# --------------------------------------------------------------------------------------
# One machine
# --------------------------------------------------------------------------------------

Progress = Callable[[Counts], None]


def score_files(
    model: ScoringModel,
    source: Path,
    out: Path,
    *,
    rules: ChunkRules,
    progress: Progress | None = None,
    chunk_rows: int = CHUNK_ROWS,
    in_flight: int = IN_FLIGHT,
) -> Counts:
    """Score every row of ``source`` (a file or a folder of parts) into the Parquet file
    ``out``, streaming: at most ``in_flight`` chunks are scored at once (in threads: the
    booster predicts without the GIL, on its own ``nthread`` threads) while the next is
    read, and each is written as soon as it and those before it are done.

    ``progress`` is called with the counts so far after each chunk is written; an exception
    it raises (``PortfolioCancelled``) stops the job and removes the partial output. Raises
    ``PortfolioInputError`` (nothing written) for an unusable input or an existing ``out``.
    """
    files = input_files(source)
    check_columns(files, model.schema)
    if out.exists():
        raise PortfolioInputError(f"{out}: the output already exists; it is never replaced.")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = partial_path(out)
    try:
        counts = _score_stream(
            model, files, partial, rules, progress, max(chunk_rows, 1), max(in_flight, 1)
        )
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(out)
    return counts


def partial_path(out: Path) -> Path:
    """Where a job writes ``out`` until it is complete (then renamed to ``out``): a hidden
    file (one machine) or folder (Dask) beside it. Only a complete output has ``out``'s
    name."""
    return out.with_name(f".{out.name}.partial")


def partial_remove(out: Path) -> bool:
    """Remove what an interrupted job left of ``out`` (its ``partial_path``, file or
    folder); whether there was anything. ``out`` itself is never touched."""
    partial = partial_path(out)
    if partial.is_dir() and not partial.is_symlink():
        shutil.rmtree(partial, ignore_errors=True)
        return True
    if partial.exists() or partial.is_symlink():
        partial.unlink(missing_ok=True)
        return True
    return False


def _score_stream(
    model: ScoringModel,
    files: Sequence[Path],
    partial: Path,
    rules: ChunkRules,
    progress: Progress | None,
    chunk_rows: int,
    in_flight: int,
) -> Counts:
    counts = NO_ROWS
    pending: deque[Future[pa.Table]] = deque()
    first_row = 0
    with (
        pq.ParquetWriter(partial, OUTPUT_SCHEMA) as writer,
        ThreadPoolExecutor(max_workers=in_flight, thread_name_prefix="portfolio") as pool,
    ):
        try:
            for table in read_batches(files, model.schema, rows=chunk_rows):
                pending.append(
                    pool.submit(score_chunk, model, table, rules=rules, first_row=first_row)
                )
                first_row += table.num_rows
                while len(pending) >= in_flight:
                    counts = _written(writer, pending.popleft().result(), counts, progress)
            while pending:
                counts = _written(writer, pending.popleft().result(), counts, progress)
        finally:
            for future in pending:
                future.cancel()
    return counts


def _written(
    writer: pq.ParquetWriter, table: pa.Table, counts: Counts, progress: Progress | None
) -> Counts:
    writer.write_table(table)
    counts = counts + table_counts(table)
    if progress is not None:
        progress(counts)
    return counts


def table_counts(table: pa.Table) -> Counts:
    """Rows, scored and invalid rows of an output table."""
    errors = table.column("error")
    invalid = table.num_rows - errors.null_count
    rows: list[int] = []
    if invalid:
        refused = table.filter(pc.is_valid(errors)).column("row").slice(0, INVALID_ROWS_KEPT)
        rows = refused.to_pylist()
    return Counts(table.num_rows, table.num_rows - invalid, invalid, tuple(rows))


def all_cores() -> int:
    """The cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not on Linux
        return max(os.cpu_count() or 1, 1)


# --------------------------------------------------------------------------------------
# Dask workers
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelRef:
    """How a worker finds a model version: its artifact directory and the SHA-256 the
    registry recorded. ``load`` verifies the hash before anything is deserialised, once per
    worker process and version."""

    label: str
    path: str
    sha256: str
    n_threads: int = 1

    def load(self) -> ScoringModel:
        key = (self.path, self.sha256, self.n_threads)
        with _LOADED_LOCK:
            model = _LOADED.get(key)
            if model is None:
                model = load_artifact(
                    Path(self.path), expected_sha256=self.sha256, n_threads=self.n_threads
                )
                _LOADED.clear()  # one version at a time per worker process
                _LOADED[key] = model
        return model


_LOADED: dict[tuple[str, str, int], ScoringModel] = {}
_LOADED_LOCK = threading.Lock()


def score_partition(
    frame: pd.DataFrame,
    ref: ModelRef,
    rules: ChunkRules,
    offsets: Sequence[int],
    partition_info: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """``score_chunk`` of one Dask partition (``map_partitions``), on the worker: the model
    is loaded and verified there. ``offsets[i]`` is partition ``i``'s first row."""
    number = int(partition_info["number"]) if partition_info else 0
    table = score_chunk(ref.load(), frame, rules=rules, first_row=offsets[number])
    return table.to_pandas(types_mapper=pd.ArrowDtype)


def output_meta() -> pd.DataFrame:
    """An empty frame with the output's columns and types (Dask's ``meta``)."""
    return OUTPUT_SCHEMA.empty_table().to_pandas(types_mapper=pd.ArrowDtype)
