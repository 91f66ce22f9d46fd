"""``score_portfolio``: a run executed in-process, its output, its record and its audit."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from django.core.management import CommandError, call_command

from audit.models import DecisionRecord, PortfolioRunRecord
from audit.services import portfolio_run_content_hash
from credit_ml.portfolio import ChunkRules, path_sha256, score_chunk
from portfolio.models import PortfolioRun
from registry.models import ModelVersion, RuleSet
from registry.selectors import rule_set_policy
from registry.services import model_version_load
from tests.portfolio.conftest import BAD_ROWS, ROWS

AS_OF = date(2026, 12, 1)


def test_it_scores_every_row_records_the_run_and_audits_its_hashes(
    champion: ModelVersion,
    dirs: dict[str, Path],
    portfolio_frame: pd.DataFrame,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source, out = dirs["data"] / "book.parquet", dirs["out"] / "scores.parquet"

    call_command(
        "score_portfolio",
        "--data",
        str(source),
        "--out",
        str(out),
        "--rule-set",
        "bank",
        "--as-of",
        "2026-12-01",
    )

    run = PortfolioRun.objects.get()
    bank = RuleSet.objects.filter(name="bank").order_by("-created_at", "-id").first()
    assert bank is not None
    rules = ChunkRules(rule_set=rule_set_policy(rule_set=bank), on=AS_OF)
    expected = score_chunk(
        model_version_load(version=champion), portfolio_frame, rules=rules, first_row=0
    )
    assert pq.read_table(out).equals(expected)
    assert (run.status, run.engine, run.model_version, run.rule_set) == (
        "SUCCEEDED",
        "local",
        champion,
        bank,
    )
    assert (run.rows_total, run.rows_done, run.rows_scored, run.rows_invalid) == (
        ROWS,
        ROWS,
        ROWS - 2,
        2,
    )
    assert run.as_of == AS_OF
    assert run.input_sha256 == path_sha256(source)
    assert run.output_sha256 == path_sha256(out)
    assert run.rows_per_second > 0
    assert run.invalid_rows == list(BAD_ROWS)
    assert run.error == ""
    record = PortfolioRunRecord.objects.get()
    assert (record.run_id, record.status, record.model_version, record.rule_set) == (
        run.pk,
        "SUCCEEDED",
        champion,
        bank,
    )
    assert (record.input_sha256, record.output_sha256) == (run.input_sha256, run.output_sha256)
    assert (record.rows, record.scored, record.invalid) == (ROWS, ROWS - 2, 2)
    assert record.content_hash == portfolio_run_content_hash(record)
    assert DecisionRecord.objects.count() == 0  # scores, not decisions
    printed = capsys.readouterr().out
    assert f"run {run.pk} SUCCEEDED: {ROWS} rows, {ROWS - 2} scored, 2 invalid" in printed
    assert f"SHA-256 {run.output_sha256}" in printed
    assert "invalid rows (0-based; errors in the output): 7, 301\n" in printed


def test_bad_rows_are_reported_by_row_number_in_the_output(
    champion: ModelVersion, dirs: dict[str, Path]
) -> None:
    out = dirs["out"] / "scores.parquet"
    call_command("score_portfolio", "--data", str(dirs["data"] / "book.parquet"), "--out", str(out))
    table = pq.read_table(out).to_pandas()
    bad = table[table["error"].notna()]
    assert bad["row"].tolist() == list(BAD_ROWS)
    assert json.loads(bad["error"].iloc[0]) == {"monthly_income": ["Must be at least 1."]}
    assert bad["score"].isna().all()


def test_an_unknown_model_is_refused_and_nothing_is_written(
    champion: ModelVersion, dirs: dict[str, Path]
) -> None:
    out = dirs["out"] / "scores.parquet"
    with pytest.raises(CommandError, match="model: No model version is labelled 'm-nope'"):
        call_command(
            "score_portfolio",
            "--data",
            str(dirs["data"] / "book.parquet"),
            "--out",
            str(out),
            "--model",
            "m-nope",
        )
    assert PortfolioRun.objects.count() == 0
    assert PortfolioRunRecord.objects.count() == 0
    assert not out.exists()


def test_an_existing_output_is_never_overwritten(
    champion: ModelVersion, dirs: dict[str, Path]
) -> None:
    out = dirs["out"] / "scores.parquet"
    out.write_bytes(b"earlier")
    with pytest.raises(CommandError, match="out_path: The output already exists"):
        call_command(
            "score_portfolio", "--data", str(dirs["data"] / "book.parquet"), "--out", str(out)
        )
    assert out.read_bytes() == b"earlier"
    assert PortfolioRun.objects.count() == 0


def test_a_csv_input_without_a_required_column_fails_the_run_with_a_clear_message(
    champion: ModelVersion, dirs: dict[str, Path], portfolio_frame: pd.DataFrame
) -> None:
    source = dirs["data"] / "book.csv"
    portfolio_frame.drop(columns=["age"]).to_csv(source, index=False)
    out = dirs["out"] / "scores.parquet"
    with pytest.raises(CommandError, match=r"book\.csv: required columns missing: age\."):
        call_command("score_portfolio", "--data", str(source), "--out", str(out))
    run = PortfolioRun.objects.get()
    assert (run.status, run.output_sha256, run.rows_done) == ("FAILED", "", 0)
    assert PortfolioRunRecord.objects.get().status == "FAILED"
    assert not out.exists()
