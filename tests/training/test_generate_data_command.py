from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from credit_ml.datasets import read_dataset
from credit_ml.schema import INDONESIAN_SCHEMA


def test_generate_data_writes_the_requested_rows_with_every_schema_field(tmp_path: Path) -> None:
    out = tmp_path / "nested" / "applications.csv"
    stdout = StringIO()
    call_command("generate_data", rows=200, seed=3, out=out, stdout=stdout)
    frame = read_dataset(out)
    assert len(frame) == 200
    assert set(INDONESIAN_SCHEMA.names) | {"is_default"} <= set(frame.columns)
    assert stdout.getvalue() == f"Wrote 200 rows to {out}\n"


def test_the_same_seed_writes_the_same_file(tmp_path: Path) -> None:
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    call_command("generate_data", rows=50, seed=9, out=first, stdout=StringIO())
    call_command("generate_data", rows=50, seed=9, out=second, stdout=StringIO())
    assert first.read_bytes() == second.read_bytes()


def test_zero_rows_is_refused_and_no_file_is_written(tmp_path: Path) -> None:
    out = tmp_path / "none.csv"
    with pytest.raises(CommandError, match="--rows must be at least 1"):
        call_command("generate_data", rows=0, out=out)
    assert not out.exists()


def test_an_unknown_extension_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="unknown dataset extension"):
        call_command("generate_data", rows=10, out=tmp_path / "applications.xlsx")
