"""Portfolio scoring's pure core: one chunk, CSV and Parquet streaming, bad rows, cancel."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from credit_ml.decision import Decision, decide_many
from credit_ml.policy import fintech_rule_set_2
from credit_ml.portfolio import (
    OUTPUT_SCHEMA,
    ChunkRules,
    Counts,
    PortfolioCancelled,
    PortfolioInputError,
    path_sha256,
    score_chunk,
    score_files,
)
from credit_ml.schema import INDONESIAN_SCHEMA, validate_record
from credit_ml.scoring import ScoringModel
from tests.ml.conftest import cleaned_records

ON = date(2026, 12, 1)
RULES = ChunkRules(rule_set=fintech_rule_set_2(), on=ON)


@pytest.fixture
def portfolio(applications: pd.DataFrame) -> pd.DataFrame:
    """300 applications with two bad rows: a negative income (row 4) and a NIK of the
    wrong length (row 10)."""
    frame = applications.head(300).copy()
    frame.loc[4, "monthly_income"] = -1.0
    frame.loc[10, "nik"] = "123"
    return frame


def test_a_chunk_scores_each_valid_row_as_the_product_decides_it(
    scoring_model: ScoringModel, portfolio: pd.DataFrame
) -> None:
    table = score_chunk(scoring_model, portfolio, rules=RULES, first_row=1000).to_pandas()
    good = portfolio.drop(index=[4, 10])
    expected = decide_many(
        scoring_model,
        [validate_record(INDONESIAN_SCHEMA, r, today=ON) for r in cleaned_records(good)],
        rule_set=RULES.rule_set,
        on=ON,
    )
    scored = table[table["error"].isna()]
    assert table["row"].tolist() == list(range(1000, 1300))
    assert table["reference"].tolist() == portfolio["application_id"].tolist()
    assert scored["probability_of_default"].tolist() == [d.probability_of_default for d in expected]
    assert scored["score"].tolist() == [d.credit_score for d in expected]
    assert scored["grade"].tolist() == [d.risk_grade for d in expected]
    assert scored["decision"].tolist() == [d.decision.value for d in expected]
    assert scored["reason_1_code"].tolist() == [d.reasons[0].code for d in expected]
    columns = score_chunk(scoring_model, good, rules=RULES, first_row=0).to_pydict()
    for i in range(1, 5):
        assert columns[f"reason_{i}_code"] == [_reason(d, i, "code") for d in expected]
        assert columns[f"reason_{i}_contribution"] == [
            _reason(d, i, "contribution") for d in expected
        ]


def _reason(decision: Decision, place: int, what: str) -> object:
    reasons = decision.reasons
    return getattr(reasons[place - 1], what) if len(reasons) >= place else None


def test_bad_rows_get_their_errors_and_no_score(
    scoring_model: ScoringModel, portfolio: pd.DataFrame
) -> None:
    table = score_chunk(scoring_model, portfolio, rules=RULES, first_row=0).to_pandas()
    bad = table[table["error"].notna()]
    assert bad["row"].tolist() == [4, 10]
    assert json.loads(bad["error"].iloc[0]) == {"monthly_income": ["Must be at least 1."]}
    assert set(json.loads(bad["error"].iloc[1])) == {"nik"}
    assert bad["probability_of_default"].isna().all()
    assert bad["decision"].isna().all()


def test_csv_and_parquet_files_give_the_same_table_in_bounded_chunks(
    scoring_model: ScoringModel, portfolio: pd.DataFrame, tmp_path: Path
) -> None:
    portfolio.to_csv(tmp_path / "in.csv", index=False)
    folder = tmp_path / "parts"
    folder.mkdir()
    portfolio.iloc[:120].to_parquet(folder / "a.parquet")
    portfolio.iloc[120:].to_parquet(folder / "b.parquet")
    seen: list[Counts] = []

    csv = score_files(
        scoring_model, tmp_path / "in.csv", tmp_path / "c.parquet", rules=RULES, chunk_rows=70
    )
    parquet = score_files(
        scoring_model,
        folder,
        tmp_path / "p.parquet",
        rules=RULES,
        chunk_rows=70,
        progress=seen.append,
    )

    whole = score_chunk(scoring_model, portfolio, rules=RULES, first_row=0)
    assert csv == parquet == Counts(rows=300, scored=298, invalid=2, invalid_rows=(4, 10))
    assert [c.rows for c in seen] == [70, 120, 190, 260, 300]
    assert pq.read_table(tmp_path / "c.parquet").equals(whole)
    assert pq.read_table(tmp_path / "p.parquet").equals(whole)
    assert pq.read_schema(tmp_path / "p.parquet").equals(OUTPUT_SCHEMA)


def test_a_cancelled_job_leaves_no_output(
    scoring_model: ScoringModel, portfolio: pd.DataFrame, tmp_path: Path
) -> None:
    portfolio.to_parquet(tmp_path / "in.parquet")

    def cancel(counts: Counts) -> None:
        raise PortfolioCancelled()

    with pytest.raises(PortfolioCancelled):
        score_files(
            scoring_model,
            tmp_path / "in.parquet",
            tmp_path / "out.parquet",
            rules=RULES,
            progress=cancel,
            chunk_rows=50,
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.parquet"]


def test_input_without_a_required_column_is_refused_before_anything_is_written(
    scoring_model: ScoringModel, portfolio: pd.DataFrame, tmp_path: Path
) -> None:
    portfolio.drop(columns=["monthly_income"]).to_parquet(tmp_path / "in.parquet")
    with pytest.raises(PortfolioInputError, match="required columns missing: monthly_income"):
        score_files(scoring_model, tmp_path / "in.parquet", tmp_path / "o.parquet", rules=RULES)
    assert not (tmp_path / "o.parquet").exists()


def test_a_folder_hash_covers_each_part_name_and_content(tmp_path: Path) -> None:
    (tmp_path / "a.parquet").write_bytes(b"one")
    (tmp_path / "b.parquet").write_bytes(b"two")
    before = path_sha256(tmp_path)
    (tmp_path / "b.parquet").rename(tmp_path / "c.parquet")
    assert path_sha256(tmp_path) != before
    assert path_sha256(tmp_path / "a.parquet") == (
        "7692c3ad3540bb803c020b3aee66cd8887123234ea0c6e7143c0add73ff431ed"
    )
