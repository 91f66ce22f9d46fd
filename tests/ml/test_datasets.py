"""Reading, writing and hashing dataset files with ``credit_ml.datasets``."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from credit_ml.datasets import (
    DatasetError,
    column_dtypes,
    file_sha256,
    missing_shares,
    read_dataset,
    row_keys,
    write_dataset,
)
from credit_ml.schema import INDONESIAN_SCHEMA
from credit_ml.synthetic import generate_applications

FORMATS = ["csv", "parquet"]


@pytest.fixture(scope="module")
def applications() -> pd.DataFrame:
    return generate_applications(400, seed=11)


@pytest.mark.parametrize("suffix", FORMATS)
def test_a_written_dataset_reads_back_identical(
    applications: pd.DataFrame, tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"applications.{suffix}"
    write_dataset(applications, path)
    pd.testing.assert_frame_equal(read_dataset(path), applications, check_exact=True)


@pytest.mark.parametrize("suffix", FORMATS)
def test_optional_int_fields_come_back_as_nullable_int64_with_their_gaps(
    applications: pd.DataFrame, tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"applications.{suffix}"
    write_dataset(applications, path)
    frame = read_dataset(path)
    for name in ("worst_collectibility_24m", "active_lending_platforms"):
        assert frame[name].dtype == "Int64"
        assert frame[name].isna().sum() == applications[name].isna().sum() > 0


def test_csv_keeps_the_leading_zero_of_phones_and_niks_as_strings(tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    path.write_text("nik,phone,full_name\n0101011505900001,081234567890,NA\n")
    frame = read_dataset(path)
    assert frame.to_dict("records") == [
        {"nik": "0101011505900001", "phone": "081234567890", "full_name": "NA"}
    ]


def test_csv_empty_cells_are_missing_values(tmp_path: Path) -> None:
    path = tmp_path / "gaps.csv"
    path.write_text("address,annual_interest_rate,active_lending_platforms\n,,\nJl. Mawar,0.18,2\n")
    frame = read_dataset(path)
    assert frame["address"].isna().tolist() == [True, False]
    assert frame["annual_interest_rate"].isna().tolist() == [True, False]
    assert frame["active_lending_platforms"].tolist() == [pd.NA, 2]


def test_a_required_int_column_with_gaps_reads_as_nullable_instead_of_failing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ages.csv"
    path.write_text("age,loan_term_months\n30,12\n,24\n")
    frame = read_dataset(path)
    assert (str(frame["age"].dtype), str(frame["loan_term_months"].dtype)) == ("Int64", "int64")


def test_columns_the_schema_does_not_know_are_kept_as_read(tmp_path: Path) -> None:
    path = tmp_path / "extra.csv"
    path.write_text("age,branch_code\n30,7\n")
    frame = read_dataset(path)
    assert frame["branch_code"].tolist() == [7]


def test_a_non_numeric_value_in_a_numeric_column_is_an_error_naming_the_column(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("monthly_income\nlima juta\n")
    with pytest.raises(DatasetError, match="'monthly_income'"):
        read_dataset(path)


def test_a_fractional_value_in_an_int_column_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("past_delinquencies\n1.5\n")
    with pytest.raises(DatasetError, match="'past_delinquencies'"):
        read_dataset(path)


@pytest.mark.parametrize("name", ["applications.xlsx", "applications", "applications.json"])
def test_an_unknown_extension_is_refused_on_read_and_write(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    with pytest.raises(DatasetError, match="unknown dataset extension"):
        read_dataset(path)
    with pytest.raises(DatasetError, match="unknown dataset extension"):
        write_dataset(pd.DataFrame({"age": [30]}), path)
    assert list(tmp_path.iterdir()) == []


def test_a_missing_file_is_a_dataset_error(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"missing\.parquet: cannot read"):
        read_dataset(tmp_path / "missing.parquet")


def test_a_corrupt_parquet_file_is_a_dataset_error(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.parquet"
    path.write_bytes(b"this is not parquet")
    with pytest.raises(DatasetError, match=r"corrupt\.parquet: cannot read the parquet file"):
        read_dataset(path)


def test_dataset_error_is_a_value_error() -> None:
    assert issubclass(DatasetError, ValueError)


def test_write_creates_parent_directories_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "applications.parquet"
    write_dataset(pd.DataFrame({"age": [30, 40]}), path)
    assert [p.name for p in path.parent.iterdir()] == ["applications.parquet"]


def test_a_failed_write_keeps_the_old_file_and_removes_the_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "applications.csv"
    path.write_text("age\n30\n")

    def half_written(self: pd.DataFrame, target: Path, **kwargs: object) -> None:
        Path(target).write_text("age\n4")
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", half_written)
    with pytest.raises(OSError, match="disk full"):
        write_dataset(pd.DataFrame({"age": [40]}), path)
    assert [p.name for p in tmp_path.iterdir()] == ["applications.csv"]
    assert path.read_text() == "age\n30\n"


def test_an_existing_file_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "applications.csv"
    write_dataset(pd.DataFrame({"age": [30]}), path)
    write_dataset(pd.DataFrame({"age": [41, 42]}), path)
    assert read_dataset(path)["age"].tolist() == [41, 42]


def test_file_sha256_matches_hashlib_across_several_chunks(tmp_path: Path) -> None:
    path = tmp_path / "blob.bin"
    content = bytes(range(256)) * 10_000  # 2.5 MiB: more than two 1 MiB chunks
    path.write_bytes(content)
    assert file_sha256(path) == hashlib.sha256(content).hexdigest()


def test_file_sha256_of_an_empty_file_is_the_empty_digest(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    assert file_sha256(path) == ("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")


def test_column_dtypes_lists_every_schema_field_and_the_target() -> None:
    dtypes = column_dtypes()
    assert dtypes["nik"] == "str"
    assert dtypes["age"] == "int64"
    assert dtypes["worst_collectibility_24m"] == "Int64"
    assert dtypes["active_lending_platforms"] == "Int64"
    assert dtypes["monthly_income"] == "float64"
    assert dtypes["is_default"] == "int64"
    assert len(dtypes) == 26


def test_row_keys_are_equal_for_equal_rows_whatever_their_dtypes(
    applications: pd.DataFrame,
) -> None:
    columns = ["age", "monthly_income", "education", "worst_collectibility_24m", "is_default"]
    as_read = applications.head(50)
    as_text = as_read.astype("object").where(as_read.notna(), None)
    as_text["education"] = as_text["education"].astype(str)
    as_floats = as_read.assign(age=as_read["age"].astype("float64"))
    keys = row_keys(as_read, columns)
    assert keys.dtype == np.uint64
    assert (row_keys(as_floats, columns) == keys).all()
    assert (row_keys(as_text.reset_index(drop=True), columns) == keys).all()
    changed = as_read.assign(monthly_income=as_read["monthly_income"] + 1)
    assert not np.isin(row_keys(changed, columns), keys).any()


def test_missing_shares_name_every_application_field_but_identity(
    applications: pd.DataFrame,
) -> None:
    shares = missing_shares(applications, INDONESIAN_SCHEMA)
    assert list(shares) == [s.name for s in INDONESIAN_SCHEMA.fields if s.is_feature_kind]
    expected = float(applications["worst_collectibility_24m"].isna().mean())
    assert shares["worst_collectibility_24m"] == pytest.approx(expected)
    assert shares["monthly_income"] == 0.0
    assert missing_shares(applications.head(0), INDONESIAN_SCHEMA) == {}
