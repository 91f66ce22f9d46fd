"""Reading and writing application datasets (CSV or Parquet), with the schema's dtypes.

Column dtypes after ``read_dataset`` (for the columns the schema knows):

* ``str`` fields: pandas' string dtype (``"str"``), missing as NaN. Identity fields keep
  their leading zeros (a phone ``0812…`` is never read as a number).
* required ``int`` fields: ``int64`` (``Int64`` if the file has gaps, so nothing is lost).
* optional ``int`` fields: pandas nullable ``Int64``, missing as ``<NA>``.
* ``float`` fields: ``float64``, missing as NaN.
* the target (``is_default``): ``int64`` (``Int64`` if the file has gaps).

So a frame written by ``write_dataset`` reads back equal, from CSV as from Parquet.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from credit_ml.schema import INDONESIAN_SCHEMA, ApplicationSchema, FieldSpec

CSV_SUFFIXES: tuple[str, ...] = (".csv",)
PARQUET_SUFFIXES: tuple[str, ...] = (".parquet", ".pq")
_CHUNK_BYTES = 1 << 20  # 1 MiB per read when hashing


class DatasetError(ValueError):
    """A dataset file that cannot be read or written; the message names the file."""


def _format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    known = ", ".join(CSV_SUFFIXES + PARQUET_SUFFIXES)
    raise DatasetError(f"{path.name}: unknown dataset extension {suffix!r} (use {known}).")


def column_dtypes(
    schema: ApplicationSchema = INDONESIAN_SCHEMA, *, gaps: frozenset[str] = frozenset()
) -> dict[str, str]:
    """The pandas dtype of every schema field and of the target.

    ``gaps`` names required int columns that have missing values: they become ``Int64``
    instead of ``int64`` so that reading never fails or turns them into floats.
    """
    dtypes = {spec.name: _field_dtype(spec, spec.name in gaps) for spec in schema.fields}
    dtypes[schema.target] = "Int64" if schema.target in gaps else "int64"
    return dtypes


def _field_dtype(spec: FieldSpec, has_gaps: bool) -> str:
    if spec.dtype == "str":
        return "str"
    if spec.dtype == "int":
        return "Int64" if has_gaps or not spec.required else "int64"
    return "float64"


def apply_dtypes(
    frame: pd.DataFrame, schema: ApplicationSchema = INDONESIAN_SCHEMA
) -> pd.DataFrame:
    """Cast the schema's columns of ``frame`` to ``column_dtypes``; other columns stay as they are.

    Raises ``DatasetError`` naming the column when a value does not fit its type.
    """
    gaps = frozenset(name for name in frame.columns if frame[name].isna().any())
    dtypes = column_dtypes(schema, gaps=gaps)
    out = frame.copy()
    for name in frame.columns:
        if name in dtypes:
            out[name] = _cast(frame[name], name, dtypes[name])
    return out


def _cast(column: pd.Series, name: str, dtype: str) -> pd.Series:
    try:
        if dtype == "str":
            return column.astype("str").where(column.notna())
        if column.dtype == object or pd.api.types.is_string_dtype(column.dtype):
            column = pd.to_numeric(column)
        if dtype == "int64":
            column = column.astype("Int64")  # refuses 1.5 where int64 would truncate it
        return column.astype(dtype)
    except (TypeError, ValueError) as exc:
        raise DatasetError(f"column {name!r} does not hold {dtype} values: {exc}") from exc


def read_dataset(path: Path, *, schema: ApplicationSchema = INDONESIAN_SCHEMA) -> pd.DataFrame:
    """Read a CSV or Parquet file (by extension) into a frame with the schema's dtypes.

    In CSV only an empty cell is missing: a name such as ``NA`` stays a string.
    Raises ``DatasetError`` for an unknown extension or a file that cannot be read.
    """
    path = Path(path)
    kind = _format(path)
    try:
        if kind == "csv":
            frame = pd.read_csv(
                path,
                dtype={spec.name: "str" for spec in schema.fields if spec.dtype == "str"},
                keep_default_na=False,
                na_values=[""],
            )
        else:
            frame = pd.read_parquet(path)
    except DatasetError:
        raise
    except Exception as exc:  # pandas, pyarrow and the OS raise many unrelated types
        raise DatasetError(f"{path.name}: cannot read the {kind} file: {exc}") from exc
    return apply_dtypes(frame, schema)


def is_parquet_input(path: Path) -> bool:
    """A Parquet file, or a folder holding Parquet parts (what Dask workers can read)."""
    if path.is_file():
        return path.suffix.lower() in PARQUET_SUFFIXES
    return path.is_dir() and bool(parquet_parts(path))


def parquet_parts(path: Path) -> list[Path]:
    """The file itself, or a folder's ``.parquet``/``.pq`` parts in name order."""
    if path.is_file():
        return [path]
    return sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in PARQUET_SUFFIXES)


def write_dataset(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` as CSV or Parquet (by extension), without its index.

    Parent directories are created. The file appears atomically: it is written to a
    temporary file in the same directory and renamed, so a reader never sees half a file.
    """
    path = Path(path)
    writer = _writer(_format(path), frame)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        writer(Path(temporary))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _writer(kind: str, frame: pd.DataFrame) -> Callable[[Path], None]:
    def write_csv(target: Path) -> None:
        frame.to_csv(target, index=False)

    def write_parquet(target: Path) -> None:
        frame.to_parquet(target, index=False)

    return write_csv if kind == "csv" else write_parquet


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB chunks (constant memory)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as stream:
        while chunk := stream.read(_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def row_keys(frame: pd.DataFrame, columns: list[str]) -> npt.NDArray[np.uint64]:
    """A 64-bit hash of each row's values in ``columns``, equal for equal rows whatever the
    dtypes they were read with (a column of numbers compares as float64, even when held as
    text or objects; anything else as text).

    Used to find rows of one file among the rows another version was trained on.
    """
    comparable = pd.DataFrame(
        {name: _comparable(frame[name]) for name in columns}, index=range(len(frame))
    )
    hashes: npt.NDArray[np.uint64] = pd.util.hash_pandas_object(comparable, index=False).to_numpy(
        dtype=np.uint64
    )
    return hashes


def _comparable(column: pd.Series) -> pd.Series:
    """float64 for a column of numbers (also numbers held as objects or text), else text."""
    values = column.reset_index(drop=True)
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.astype("object").map(str, na_action="ignore").fillna("\x00missing")
    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    if numbers.notna().sum() == values.notna().sum():
        return numbers
    text = values.astype("object").map(str, na_action="ignore")
    return text.where(values.notna(), "\x00missing")


def missing_shares(frame: pd.DataFrame, schema: ApplicationSchema) -> dict[str, float]:
    """Share (0..1) of rows with no value, per application field of ``schema`` in ``frame``
    (identity fields left out), in schema order."""
    return shares_of_rows(missing_counts(frame, schema), len(frame))


def missing_counts(frame: pd.DataFrame, schema: ApplicationSchema) -> dict[str, int]:
    """Rows with no value per field, as ``missing_shares`` counts them; counts of row sets
    add up, so a Dask cluster can sum its partitions'."""
    return {
        spec.name: int(frame[spec.name].isna().sum())
        for spec in schema.fields
        if spec.is_feature_kind and spec.name in frame.columns
    }


def shares_of_rows(counts: dict[str, int], rows: int) -> dict[str, float]:
    """``missing_shares`` from ``missing_counts`` over ``rows`` rows ({} for no rows)."""
    if rows == 0:
        return {}
    return {name: count / rows for name, count in counts.items()}
