"""``monitoring_report``: the report over real decisions with imported outcomes."""

from __future__ import annotations

import json
from datetime import date
from io import StringIO
from itertools import product
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from audit.crypto import decrypt_inputs
from audit.models import DecisionRecord
from credit_ml.synthetic import generate_applications
from registry.models import ModelVersion
from review.models import ReviewCase
from tests.monitoring.conftest import Record


def _report(*args: str) -> dict[str, object]:
    out = StringIO()
    call_command("monitoring_report", *args, "--json", stdout=out)
    body: dict[str, object] = json.loads(out.getvalue())
    return body


def _auc(pds: list[float], bad: list[bool]) -> float:
    """Share of (default, good) pairs ranked right, ties half."""
    pairs = [
        1.0 if p > q else 0.5 if p == q else 0.0
        for (p, b), (q, g) in product(zip(pds, bad, strict=True), repeat=2)
        if b and not g
    ]
    return sum(pairs) / len(pairs)


def _outcomes(tmp_path: Path, rows: list[str]) -> None:
    path = tmp_path / "outcomes.csv"
    path.write_text("request_id,observed_at,months_on_book,collectibility\n" + "".join(rows))
    call_command("import_outcomes", str(path), stdout=StringIO())


def test_the_json_has_the_documented_shape_and_the_definition(
    champion: ModelVersion, record: Record
) -> None:
    record(generate_applications(rows=50, seed=61), on=date(2026, 11, 2))
    record(generate_applications(rows=30, seed=62), on=date(2026, 11, 2), client="koperasi-maju")
    body = _report("--from", "2026-11-01", "--to", "2026-11-30")
    assert body["model_version"] == champion.label
    assert body["period"] == {"from": "2026-11-01", "to": "2026-11-30"}
    assert body["decisions"] == 80
    assert body["default_definition"] == {
        "collectibility_from": 3,
        "days_past_due_over": 90,
        "months_on_book": 12,
        "text": "Kol 3+ or more than 90 days past due within 12 months on book",
    }
    stability = body["stability"]
    assert isinstance(stability, dict)
    assert set(stability["score"]) >= {"psi", "band"}
    assert stability["score"]["band"] in {"stable", "watch", "act"}
    assert len(stability["fields"]) == 19
    mix = body["decision_mix"]
    assert isinstance(mix, dict)
    records = DecisionRecord.objects.all()
    approved = records.filter(decision="APPROVE").count()
    assert mix["n"] == 80
    assert mix["APPROVE"] == {"count": approved, "rate": approved / 80}
    assert mix["by_client"]["koperasi-maju"]["n"] == 30
    reviewed = ReviewCase.objects.filter(status=ReviewCase.Status.RESOLVED).count()
    assert reviewed == 0  # nobody has decided a case: no override to count
    assert mix["overrides"] == {"reviewed": 0, "count": 0, "rate": None}
    provinces = [decrypt_inputs(r.inputs_encrypted)["province"] for r in records]
    assert {k: v["n"] for k, v in mix["by_province"].items()} == {
        p: provinces.count(p) for p in set(provinces)
    }
    rejected_by_cap = sum("OJK_MAX_REPAYMENT_TO_INCOME" in r.failed_rules for r in records)
    assert mix["rule_hit_rates"].get("OJK_MAX_REPAYMENT_TO_INCOME", {"count": 0})["count"] == (
        rejected_by_cap
    )
    assert body["performance"] == {
        "matured": 0,
        "cohorts": [],
        "calibration_by_grade": [],
        "vintages": {},
        "note": "no matured outcomes in this period",
    }
    one_client = _report("--from", "2026-11-01", "--to", "2026-11-30", "--client", "koperasi-maju")
    assert one_client["decisions"] == 30


def test_a_period_without_decisions_says_no_data_instead_of_numbers(
    champion: ModelVersion,
) -> None:
    body = _report("--from", "2026-01-01", "--to", "2026-01-31")
    assert body["decisions"] == 0
    stability = body["stability"]
    assert isinstance(stability, dict)
    assert stability["score"]["psi"] == "no data"
    assert stability["fields"]["monthly_income"] == {
        "psi": "no data",
        "band": "no data",
        "bins": stability["fields"]["monthly_income"]["bins"],
        "n": 0,
    }
    assert body["fairness"] == {}


def test_matured_cohorts_have_their_realised_auc_and_calibration(
    champion: ModelVersion, record: Record, tmp_path: Path
) -> None:
    october = record(generate_applications(rows=120, seed=71), on=date(2025, 10, 6))
    november = record(generate_applications(rows=80, seed=72), on=date(2025, 11, 3))
    ordered = sorted(october, key=lambda r: -r.probability_of_default)
    bad_ids = {r.request_id for i, r in enumerate(ordered) if i % 4 == 0}  # mostly high PDs
    rows = [
        f"{r.request_id},2026-10-31,{6 if r.request_id in bad_ids else 12},"
        f"{3 if r.request_id in bad_ids else 1}\n"
        for r in october
    ]
    rows += [f"{r.request_id},2026-03-31,4,1\n" for r in november]  # not matured yet
    _outcomes(tmp_path, rows)
    body = _report("--from", "2025-10-01", "--to", "2025-11-30")
    performance = body["performance"]
    assert isinstance(performance, dict)
    assert performance["matured"] == 120
    cohort, total = performance["cohorts"]
    assert cohort["cohort"] == "2025-10"
    assert (cohort["n"], cohort["defaults"]) == (120, 30)
    pds = [r.probability_of_default for r in october]
    bad = [r.request_id in bad_ids for r in october]
    assert cohort["auc"] == pytest.approx(_auc(pds, bad), abs=1e-12)
    assert cohort["gini"] == pytest.approx(2 * _auc(pds, bad) - 1, abs=1e-12)
    brier = sum((p - b) ** 2 for p, b in zip(pds, bad, strict=True)) / 120
    assert cohort["brier"] == pytest.approx(brier, abs=1e-12)
    assert total["cohort"] == "all"
    grades = performance["calibration_by_grade"]
    for row in grades:
        in_grade = [r for r in october if r.risk_grade == row["grade"]]
        assert row["n"] == len(in_grade)
        assert row["defaults"] == sum(r.request_id in bad_ids for r in in_grade)
        mean_pd = sum(r.probability_of_default for r in in_grade) / len(in_grade)
        assert row["mean_pd"] == pytest.approx(mean_pd, abs=1e-12)
    assert sum(row["n"] for row in grades) == 120
    vintages = performance["vintages"]
    assert vintages["2025-10"][4] == 0.0  # MOB 5
    assert vintages["2025-10"][5] == 0.25  # MOB 6
    assert vintages["2025-11"] == [0.0] * 12


def test_fairness_gives_approval_rates_by_group_and_flags_disparate_impact(
    champion: ModelVersion, record: Record
) -> None:
    records = record(generate_applications(rows=200, seed=81), on=date(2026, 11, 2))
    body = _report("--from", "2026-11-02", "--to", "2026-11-02")
    fairness = body["fairness"]
    assert isinstance(fairness, dict)
    assert set(fairness) == {"age", "gender", "marital_status"}
    genders = [decrypt_inputs(r.inputs_encrypted)["gender"] for r in records]
    rows = {row["group"]: row for row in fairness["gender"]}
    rates = {}
    for group in ("F", "M"):
        mine = [r for r, g in zip(records, genders, strict=True) if g == group]
        rates[group] = sum(r.decision == "APPROVE" for r in mine) / len(mine)
        assert rows[group]["count"] == len(mine)
        assert rows[group]["approval_rate"] == pytest.approx(rates[group], abs=1e-12)
    best = max(rates.values())
    for group in ("F", "M"):
        assert rows[group]["disparate_impact"] == pytest.approx(rates[group] / best, abs=1e-12)
        assert rows[group]["flagged"] is (rates[group] / best < 0.8)


def test_bad_dates_unknown_models_and_versions_without_baseline_are_refused(
    champion: ModelVersion,
) -> None:
    with pytest.raises(CommandError, match="'2026-13-01' is not a date"):
        call_command("monitoring_report", "--from", "2026-13-01", "--to", "2026-12-31")
    with pytest.raises(CommandError, match=r"ends \(2026-01-01\) before it starts"):
        call_command("monitoring_report", "--from", "2026-02-01", "--to", "2026-01-01")
    with pytest.raises(CommandError, match="No model version 'nope'"):
        call_command(
            "monitoring_report", "--from", "2026-01-01", "--to", "2026-01-31", "--model", "nope"
        )
    ModelVersion.objects.filter(pk=champion.pk).update(baseline=None)
    with pytest.raises(
        CommandError, match=r"has no baseline: run `python manage\.py monitoring_baseline"
    ):
        call_command("monitoring_report", "--from", "2026-01-01", "--to", "2026-01-31")
