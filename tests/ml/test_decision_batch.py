"""Decisions in array passes: against the reference libraries, and the same in any batch.

``decide``, ``decide_many`` and ``decide_stream`` compute rules, reasons and counteroffers
over columns and predict per chunk (``decide`` is a chunk of one). Here the decisions are
checked against XGBoost's own predictions and contributions, the thresholds and the rules;
the rules' DSR and counteroffer figures against values pinned to the last bit; and every
``Decision`` (frozen dataclasses, compared by value, so every float bit for bit) in a batch
of any size against the same application decided alone, on a few hundred synthetic rows
plus hand-made edge cases (one-month terms, zero interest, a DSR exactly at the cap, no
room under the cap, missing optional fields, odd value types), for the fintech rules on
several dates, a bank rule set, a LightGBM model and a lender's own schema.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb

from credit_ml.artifacts import build_manifest
from credit_ml.decision import WORKER_NAME, Decision, decide, decide_many, decide_stream
from credit_ml.explain import group_contributions
from credit_ml.features import FeatureConfig, FeatureInputError, derive_features, record_columns
from credit_ml.formatting import format_number
from credit_ml.policy import (
    PolicyEvaluator,
    RuleSet,
    bank_rule_set,
    counteroffer,
    evaluate_policy,
    fintech_rule_set,
    policy_counteroffer,
)
from credit_ml.reasons import ReasonBuilder, build_reasons
from credit_ml.schema import INDONESIAN_SCHEMA, ApplicationSchema, validate_record
from credit_ml.scoring import ScoringModel
from credit_ml.spec import DatasetSpec
from credit_ml.training import TrainConfig, train_model
from tests.ml.conftest import DATA_SHA256, SMALL_CONFIG, Records

ROWS = 300
#: The fields the derived features read.
DERIVED_INPUTS = tuple(
    dict.fromkeys(name for feature in INDONESIAN_SCHEMA.derived for name in feature.inputs)
)
CONFIG = FeatureConfig()
FINTECH = fintech_rule_set()
DATES = [date(2024, 6, 1), date(2025, 6, 1), date(2026, 3, 1), date(2027, 3, 1)]
RULES: list[tuple[RuleSet, date]] = [
    *((FINTECH, day) for day in DATES),
    (bank_rule_set(), date(2026, 3, 1)),
    (bank_rule_set(0.2), date(2026, 3, 1)),
]
RULE_IDS = [f"{rules.name}-{rules.version}-{day.isoformat()}" for rules, day in RULES]


def _edge_cases(base: dict[str, Any]) -> list[dict[str, Any]]:
    """Hand-made applications around the places where array arithmetic could drift."""
    return [
        {**base, "loan_term_months": 1, "annual_interest_rate": 0.12},  # power of -1
        {**base, "loan_term_months": 1, "annual_interest_rate": None},
        {**base, "annual_interest_rate": 0.0},
        {**base, "annual_interest_rate": 0},  # an int rate: plain, and zero
        {**base, "annual_interest_rate": 2.0, "loan_term_months": 360},
        {  # a DSR of exactly 30 %
            **base,
            "monthly_income": 10_000_000.0,
            "existing_monthly_installments": 0.0,
            "annual_interest_rate": 0.0,
            "loan_amount": 36_000_000.0,
            "loan_term_months": 12,
        },
        {  # no room under any cap: no counteroffer at all
            **base,
            "monthly_income": 5_000_000.0,
            "existing_monthly_installments": 4_900_000.0,
        },
        {  # room for a smaller amount, none for a longer term
            **base,
            "monthly_income": 5_000_000.0,
            "existing_monthly_installments": 1_400_000.0,
            "loan_amount": 900_000_000.0,
            "loan_term_months": 24,
        },
        {  # room for a longer term only: any smaller amount is below the minimum
            **base,
            "monthly_income": 5_000_000.0,
            "existing_monthly_installments": 1_495_000.0,
            "annual_interest_rate": 0.0,
            "loan_amount": 1_000_000.0,
            "loan_term_months": 3,
        },
        {**base, "age": 17, "marital_status": "SINGLE"},
        {**base, "age": 17, "marital_status": "MARRIED"},
        {**base, "active_lending_platforms": 5},
        {**base, "active_lending_platforms": None, "worst_collectibility_24m": None},
        {**base, "monthly_income": 2_500_000.0, "existing_monthly_installments": 0.0},
        {**base, "loan_amount": 2_000_000_000.0, "loan_term_months": 360},
        {**base, "province": None},
        {**base, "monthly_income": np.float64(9_000_000.0)},  # not plain: read one by one
        {**base, "past_delinquencies": np.int64(2)},  # not plain either
    ]


@pytest.fixture(scope="module")
def records(applications: pd.DataFrame, to_records: Records) -> list[dict[str, Any]]:
    """300 synthetic applications (some optional fields empty) and the edge cases."""
    frame = applications.iloc[:ROWS].copy()
    frame.loc[frame.index[::3], "annual_interest_rate"] = np.nan
    frame.loc[frame.index[::4], "worst_collectibility_24m"] = pd.NA
    frame.loc[frame.index[::5], "active_lending_platforms"] = pd.NA
    frame.loc[frame.index[::7], "province"] = None
    cleaned = to_records(frame)
    return cleaned + _edge_cases(cleaned[0]) + _edge_cases(cleaned[1])


def _one_by_one(
    model: ScoringModel,
    records: Sequence[dict[str, Any]],
    rules: RuleSet,
    day: date,
    schema: ApplicationSchema = INDONESIAN_SCHEMA,
) -> list[Decision]:
    return [decide(model, values, rule_set=rules, on=day, schema=schema) for values in records]


def _flat(chunks: Iterator[list[Any]]) -> list[Any]:
    return [item for chunk in chunks for item in chunk]


def _workers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(WORKER_NAME)]


@pytest.mark.parametrize(("rules", "day"), RULES, ids=RULE_IDS)
def test_decide_many_and_decide_stream_equal_decide_for_each_application(
    scoring_model: ScoringModel, records: list[dict[str, Any]], rules: RuleSet, day: date
) -> None:
    expected = _one_by_one(scoring_model, records, rules, day)
    assert decide_many(scoring_model, records, rule_set=rules, on=day) == expected
    stream = decide_stream(scoring_model, records, rule_set=rules, on=day, chunk_size=64)
    assert _flat(stream) == expected


def test_each_decision_is_xgboosts_prediction_then_the_thresholds_and_the_rules(
    scoring_model: ScoringModel, records: list[dict[str, Any]]
) -> None:
    day = date(2027, 3, 1)
    plain = records[:ROWS]
    decisions = decide_many(scoring_model, plain, rule_set=FINTECH, on=day)
    booster, manifest = scoring_model.booster, scoring_model.manifest
    assert isinstance(booster, xgb.Booster)
    encoded = scoring_model.encoder.transform(pd.DataFrame(plain))
    matrix = xgb.DMatrix(encoded)
    margins = booster.predict(matrix, output_margin=True)
    one = np.float32(1.0)
    pds = (one / (one + np.exp(-margins))).tolist()
    # Contributions come from the exact per-leaf tables; XGBoost's float32 TreeSHAP
    # equals them to float32 rounding.
    assert scoring_model.tree_tables is not None
    contribs = scoring_model.tree_tables.contributions(encoded)
    stock = booster.predict(matrix, pred_contribs=True)
    assert np.max(np.abs(contribs - stock)) < 1e-6
    groups, grouped = group_contributions(contribs, scoring_model.encoder.column_groups)
    derived = derive_features(
        {name: pd.DataFrame(plain)[name].to_numpy(dtype=float) for name in DERIVED_INPUTS}
    )
    for i, (decision, values) in enumerate(zip(decisions, plain, strict=True)):
        assert decision.margin == float(margins[i])
        assert decision.probability_of_default == pds[i]
        assert decision.base_value == float(contribs[i, -1])
        assert decision.contributions == dict(zip(groups, grouped[i].tolist(), strict=True))
        assert decision.derived == {name: float(column[i]) for name, column in derived.items()}
        assert decision.credit_score == manifest.scaling.score(pds[i])
        assert decision.risk_grade == manifest.grades.grade(pds[i])
        assert decision.model_decision == manifest.thresholds.decide(pds[i])
        policy = evaluate_policy(
            FINTECH, values, on=day, feature_config=CONFIG, collected=INDONESIAN_SCHEMA.names
        )
        assert decision.policy == policy
        assert decision.decision == (decision.model_decision if policy.passed else "REJECT")
        assert decision.reasons == build_reasons(
            decision.contributions,
            values=values,
            derived=decision.derived,
            decision=decision.decision,
            schema=INDONESIAN_SCHEMA,
            policy=policy if FINTECH.rule_reasons else None,  # 2026.1: the model's factors
        )
        offer = policy_counteroffer(policy, values, feature_config=CONFIG)
        assert decision.counteroffer == offer


def test_the_rows_compared_cover_every_outcome(
    scoring_model: ScoringModel, records: list[dict[str, Any]]
) -> None:
    decisions = _one_by_one(scoring_model, records, FINTECH, date(2027, 3, 1))
    assert {d.decision for d in decisions} == {"APPROVE", "REVIEW", "REJECT"}
    assert {d.model_decision for d in decisions} == {"APPROVE", "REVIEW", "REJECT"}
    failed = {code for d in decisions for code in d.failed_rules}
    assert failed == {
        "OJK_MAX_REPAYMENT_TO_INCOME",
        "OJK_MAX_LENDING_PLATFORMS",
        "OJK_MIN_AGE",
        "OJK_MIN_INCOME",
    }
    offers = [d.counteroffer for d in decisions if d.counteroffer is not None]
    assert any(o.max_amount is None for o in offers)
    assert any(o.min_term_months is None for o in offers)
    assert any(o.max_amount is not None and o.min_term_months is not None for o in offers)
    only_dsr = [d for d in decisions if d.failed_rules == ("OJK_MAX_REPAYMENT_TO_INCOME",)]
    assert any(d.counteroffer is None for d in only_dsr)  # no room under the cap at all
    assert all(len(d.reasons) <= 4 for d in decisions)
    assert any(d.reasons and d.reasons[0].field == "dsr" for d in decisions)


@pytest.mark.parametrize("chunk_size", [1, 7, 128, 10_000])
def test_any_chunk_size_gives_the_same_decisions_in_chunks_of_that_size(
    scoring_model: ScoringModel, records: list[dict[str, Any]], chunk_size: int
) -> None:
    day = date(2026, 3, 1)
    head = records[:40] + records[ROWS:]
    expected = _one_by_one(scoring_model, head, FINTECH, day)
    chunks = list(
        decide_stream(scoring_model, head, rule_set=FINTECH, on=day, chunk_size=chunk_size)
    )
    sizes = [len(head[i : i + chunk_size]) for i in range(0, len(head), chunk_size)]
    assert [len(chunk) for chunk in chunks] == sizes
    assert [item for chunk in chunks for item in chunk] == expected


def test_a_generator_of_applications_streams_too(
    scoring_model: ScoringModel, records: list[dict[str, Any]]
) -> None:
    day = date(2025, 6, 1)
    expected = _one_by_one(scoring_model, records[:30], FINTECH, day)
    lazy = (values for values in records[:30])
    assert _flat(decide_stream(scoring_model, lazy, rule_set=FINTECH, on=day)) == expected
    assert list(decide_stream(scoring_model, [], rule_set=FINTECH, on=day)) == []
    assert decide_many(scoring_model, [], rule_set=FINTECH, on=day) == []
    with pytest.raises(ValueError, match="chunk_size"):
        decide_stream(scoring_model, records, rule_set=FINTECH, on=day, chunk_size=0)


def test_an_application_decide_refuses_is_its_error_in_its_place(
    scoring_model: ScoringModel, records: list[dict[str, Any]]
) -> None:
    day = date(2026, 3, 1)
    good = records[:20]
    bad = {
        3: {**good[3], "monthly_income": 0.0},
        9: {**good[9], "loan_term_months": 0},
        10: {**good[10], "existing_monthly_installments": None},
    }
    mixed = [bad.get(i, values) for i, values in enumerate(good)]
    items = _flat(decide_stream(scoring_model, mixed, rule_set=FINTECH, on=day, chunk_size=8))
    assert len(items) == len(mixed)
    for i, item in enumerate(items):
        if i in bad:
            with pytest.raises(FeatureInputError) as raised:
                decide(scoring_model, mixed[i], rule_set=FINTECH, on=day)
            assert isinstance(item, FeatureInputError)
            assert (item.field, item.message) == (raised.value.field, raised.value.message)
        else:
            assert item == decide(scoring_model, mixed[i], rule_set=FINTECH, on=day)
    assert [items[i].field for i in sorted(bad)] == [
        "monthly_income",
        "loan_term_months",
        "existing_monthly_installments",
    ]
    with pytest.raises(FeatureInputError, match="monthly_income"):
        decide_many(scoring_model, mixed, rule_set=FINTECH, on=day)


def test_closing_the_stream_early_leaves_no_worker_thread(
    scoring_model: ScoringModel, records: list[dict[str, Any]]
) -> None:
    assert _workers() == []
    stream = decide_stream(
        scoring_model, records, rule_set=FINTECH, on=date(2026, 3, 1), chunk_size=16
    )
    first = next(stream)
    assert len(first) == 16
    assert _workers()  # the next chunk is being predicted
    stream.close()
    assert _workers() == []


def test_an_error_from_the_stream_shuts_the_worker_down(
    scoring_model: ScoringModel, records: list[dict[str, Any]]
) -> None:
    broken = [*records[:40], {**records[40], "age": "thirty"}, *records[41:80]]
    stream = decide_stream(
        scoring_model, broken, rule_set=FINTECH, on=date(2026, 3, 1), chunk_size=16
    )
    with pytest.raises(TypeError):
        _flat(stream)
    assert _workers() == []


# --------------------------------------------------------------------------------------
# Another algorithm and a lender's own schema
# --------------------------------------------------------------------------------------


def _model(frame: pd.DataFrame, schema: ApplicationSchema, config: TrainConfig) -> ScoringModel:
    result = train_model(frame, schema=schema, config=config)
    spec = None if schema is INDONESIAN_SCHEMA else LENDER_SPEC.to_dict()
    manifest = build_manifest(result, label="m-batch", data_sha256=DATA_SHA256, dataset_spec=spec)
    return ScoringModel(manifest=manifest, encoder=result.encoder, booster=result.booster)


def test_a_lightgbm_model_decides_the_same_in_batches(
    applications: pd.DataFrame, records: list[dict[str, Any]]
) -> None:
    config = TrainConfig(algorithm="lightgbm", n_estimators=20, max_depth=3, folds=0, seed=3)
    model = _model(applications, INDONESIAN_SCHEMA, config)
    day = date(2026, 3, 1)
    expected = _one_by_one(model, records, FINTECH, day)
    assert decide_many(model, records, rule_set=FINTECH, on=day) == expected
    assert _flat(decide_stream(model, records, rule_set=FINTECH, on=day, chunk_size=50)) == (
        expected
    )


LENDER_SPEC = DatasetSpec.from_dict(
    {
        "name": "lender-batch",
        "version": "1",
        "target": {"column": "is_default", "default_values": [1]},
        "features": [
            {"name": "monthly_income", "type": "numeric", "monotone": -1},
            {"name": "loan_amount", "type": "numeric"},
            {"name": "loan_term_months", "type": "numeric"},
            {"name": "age", "type": "numeric"},
            {"name": "housing_type", "type": "categorical"},
            {"name": "education", "type": "ordinal", "order": ["SD", "SMP", "SMA", "D3", "S1"]},
            {"name": "credit_card_utilization", "type": "numeric", "required": False},
        ],
        "protected": [{"name": "marital_status", "type": "categorical"}],
    }
)


@pytest.mark.parametrize("day", [date(2026, 3, 1), date(2027, 3, 1)])
def test_a_lender_schema_decides_the_same_in_batches(applications: pd.DataFrame, day: date) -> None:
    schema = LENDER_SPEC.schema()
    frame = applications[[*schema.names, "is_default"]].copy()
    frame = frame[frame["education"].isin(["SD", "SMP", "SMA", "D3", "S1"])]
    frame.loc[frame.index[::6], "credit_card_utilization"] = np.nan
    model = _model(frame, schema, SMALL_CONFIG)
    rows = frame[list(schema.names)].iloc[:200]
    records = [
        validate_record(
            schema,
            {k: (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()},
            identity_checks=False,
        )
        for row in rows.astype(object).where(rows.notna(), None).to_dict("records")
    ]
    records += [{**records[0], "age": 17.0, "marital_status": "SINGLE"}]
    records += [{**records[1], "age": 17.0, "marital_status": "MARRIED"}]
    records += [{**records[2], "monthly_income": 1_000_000.0}]
    expected = _one_by_one(model, records, FINTECH, day, schema)
    assert any(d.failed_rules for d in expected)
    batch = decide_many(model, records, rule_set=FINTECH, on=day, schema=schema)
    assert batch == expected
    stream = decide_stream(model, records, rule_set=FINTECH, on=day, schema=schema, chunk_size=9)
    assert _flat(stream) == expected


# --------------------------------------------------------------------------------------
# The building blocks: encoding, scoring, rules and reasons
# --------------------------------------------------------------------------------------


def test_encode_many_equals_the_pandas_transform_with_or_without_columns_read(
    scoring_model: ScoringModel, records: list[dict[str, Any]]
) -> None:
    encoder = scoring_model.encoder
    expected = encoder.transform(pd.DataFrame(records))
    assert np.array_equal(encoder.encode_many(records), expected, equal_nan=True)
    columns, plain = record_columns(records, [*encoder.number_fields, "age"])
    assert plain.sum() == len(records) - 4  # the numpy numbers
    read = encoder.encode_many(records, columns=columns, plain=plain)
    assert np.array_equal(read, expected, equal_nan=True)


def test_score_input_gives_xgboosts_own_predictions(
    scoring_model: ScoringModel, records: list[dict[str, Any]]
) -> None:
    encoded = scoring_model.encoder.encode_many(records[:100])
    scored = scoring_model.score_input(scoring_model.model_input(encoded))
    matrix = xgb.DMatrix(encoded)
    booster = scoring_model.booster
    assert isinstance(booster, xgb.Booster)
    margins = booster.predict(matrix, output_margin=True)
    assert np.array_equal(scored.margin, margins)
    # The PD is the logistic of the margin in float32 (XGBoost's own may differ by an ulp).
    one = np.float32(1.0)
    assert np.array_equal(scored.probability_of_default, one / (one + np.exp(-margins)))
    assert np.max(np.abs(scored.probability_of_default - booster.predict(matrix))) < 1e-6
    # TreeSHAP from the exact per-leaf tables: XGBoost's float32 values to rounding.
    assert scoring_model.tree_tables is not None
    contribs = scoring_model.tree_tables.contributions(encoded)
    stock = booster.predict(matrix, pred_contribs=True)
    assert np.max(np.abs(contribs - stock)) < 1e-6
    assert np.array_equal(scored.base_value, contribs[:, -1])
    groups, grouped = group_contributions(contribs, scoring_model.encoder.column_groups)
    assert scored.groups == groups
    assert np.array_equal(scored.contributions, grouped)
    pds = scored.probability_of_default.astype(np.float64)
    manifest = scoring_model.manifest
    assert scored.credit_score.tolist() == manifest.scaling.scores(pds).tolist()
    assert scored.model_decision == tuple(manifest.thresholds.decisions(pds))


def test_record_columns_reads_plain_numbers_and_flags_the_rest() -> None:
    rows: list[dict[str, Any]] = [
        {"x": 1, "y": 2.5},
        {"x": None, "y": 0.0},
        {"x": True, "y": 1.0},
        {"x": "3", "y": float("nan")},
        {"x": np.float64(4.0), "y": float("inf")},
        {"y": 7.0},
        {"x": 10**400, "y": 1},  # an int no float can hold
    ]
    columns, plain = record_columns(rows, ["x", "y"])
    assert plain.tolist() == [True, True, False, False, False, True, False]
    assert np.array_equal(
        columns["x"], [1.0, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan], equal_nan=True
    )
    assert columns["y"][[0, 1, 2, 5, 6]].tolist() == [2.5, 0.0, 1.0, 7.0, 1.0]
    columns, plain = record_columns(rows[:2], ["y", "x"])  # all plain: one array pass
    assert plain.tolist() == [True, True]
    assert columns["x"][0] == 1.0
    assert np.isnan(columns["x"][1])


def _evaluated(
    rules: RuleSet, day: date, records: Sequence[dict[str, Any]]
) -> tuple[list[Any], list[Any]]:
    """``PolicyEvaluator``'s outcomes and counteroffers of records it can all take."""
    evaluator = PolicyEvaluator(rules, on=day, feature_config=CONFIG)
    batch = evaluator.evaluate(records)
    assert batch.errors == {}
    offers, failed = evaluator.counteroffers(batch)
    assert failed == {}
    return list(batch.outcomes), offers


@pytest.mark.parametrize(("rules", "day"), RULES[2:], ids=RULE_IDS[2:])
def test_the_policy_evaluator_judges_each_application_as_it_would_alone(
    records: list[dict[str, Any]], rules: RuleSet, day: date
) -> None:
    outcomes = [evaluate_policy(rules, values, on=day, feature_config=CONFIG) for values in records]
    offers = [
        policy_counteroffer(o, v, feature_config=CONFIG)
        for o, v in zip(outcomes, records, strict=True)
    ]
    assert _evaluated(rules, day, records) == (outcomes, offers)
    assert sum(offer is not None for offer in offers) > 20


def test_the_policy_evaluator_gives_what_it_cannot_compute_in_its_place(
    records: list[dict[str, Any]],
) -> None:
    day = date(2026, 3, 1)
    mixed = [
        records[0],
        {**records[1], "loan_term_months": 0},
        {**records[2], "monthly_income": 0},
        {**records[3], "existing_monthly_installments": None, "monthly_income": 0},
        {**records[4], "age": "thirty"},
    ]
    evaluator = PolicyEvaluator(FINTECH, on=day, feature_config=CONFIG)
    batch = evaluator.evaluate(mixed)
    assert batch.outcomes[0] == evaluate_policy(FINTECH, records[0], on=day, feature_config=CONFIG)
    assert batch.outcomes[1:] == (None,) * 4
    refused = {i: (e.field, e.message) for i, e in batch.errors.items() if i < 4}  # type: ignore[attr-defined]
    assert refused == {
        1: ("loan_term_months", "Must be at least 1 month."),
        2: ("monthly_income", "Must be a positive amount."),
        3: ("existing_monthly_installments", "Required to compute the debt service ratio."),
    }
    assert isinstance(batch.errors[4], TypeError)  # the age rule cannot compare a string
    for values, field in ((mixed[1], "loan_term_months"), (mixed[2], "monthly_income")):
        with pytest.raises(FeatureInputError, match=field):
            evaluate_policy(FINTECH, values, on=day, feature_config=CONFIG)


#: Applications whose DSR and counteroffer figures are pinned to the last bit, as the rules
#: have always computed them (each power of a scalar exponent taken as a scalar: for a
#: one-month term NumPy's vector kernel gives a DSR several ulps away). Fields: amount,
#: term, rate, income, existing installments; the DSR; the counteroffer's requested DSR,
#: maximum amount and its DSR, minimum term and its DSR, all under the 30 % cap of 2026.
PINNED: list[tuple[tuple[float, int, float | None, float, float], str, tuple[Any, ...]]] = [
    (
        (68_900_000.0, 1, 0.53202, 3_250_000.0, 500_000.0),
        "0x1.64b33143a079ap+4",
        ("0x1.64b33143a079ap+4", 400_000.0, "0x1.2128245e1077cp-2", None, None),
    ),
    (
        (110_800_000.0, 1, 0.28238, 24_220_000.0, 500_000.0),
        "0x1.2cfe640b84f16p+2",
        ("0x1.2cfe640b84f16p+2", 6_600_000.0, "0x1.32bf7c89d1ae8p-2", 21, "0x1.3269c55da641dp-2"),
    ),
    (
        (137_800_000.0, 1, 0.1011, 29_410_000.0, 1_360_000.0),
        "0x1.315b5364ea2cfp+2",
        ("0x1.315b5364ea2cfp+2", 7_400_000.0, "0x1.332d5c988e651p-2", 21, "0x1.299755aa3c657p-2"),
    ),
    (
        (6_000_000.0, 1, 0.0, 9_000_000.0, 0.0),
        "0x1.5555555555555p-1",
        ("0x1.5555555555555p-1", 2_700_000.0, "0x1.3333333333333p-2", 3, "0x1.c71c71c71c71cp-3"),
    ),
    (
        (60_000_000.0, 24, 0.18, 10_000_000.0, 1_000_000.0),
        "0x1.9922390430656p-2",
        ("0x1.9922390430656p-2", 40_000_000.0, "0x1.32e39d7a4265bp-2", 41, "0x1.301d31a618812p-2"),
    ),
    (
        (900_000_000.0, 360, 2.0, 50_000_000.0, 2_000_000.0),
        "0x1.851eb851eb852p+1",
        ("0x1.851eb851eb852p+1", 78_000_000.0, "0x1.3333333333333p-2", None, None),
    ),
    (
        (48_000_000.0, 12, None, 10_000_000.0, 250_000.0),
        "0x1.dc39ba7136279p-2",
        ("0x1.dc39ba7136279p-2", 29_900_000.0, "0x1.324d58b9820dbp-2", 21, "0x1.2c30a92a01a3ep-2"),
    ),
]


def _pinned(figures: tuple[float, int, float | None, float, float]) -> dict[str, Any]:
    amount, term, rate, income, existing = figures
    return {
        "loan_amount": amount,
        "loan_term_months": term,
        "annual_interest_rate": rate,
        "monthly_income": income,
        "existing_monthly_installments": existing,
        "age": 30,
        "marital_status": "SINGLE",
        "active_lending_platforms": 1,
    }


def _near(actual: float | None, pinned: str | None) -> bool:
    """``actual`` within 4 ulps of the pinned hex float (or both None). The figures use
    ``np.power``, whose SIMD kernels round the last bit differently by CPU (AVX-512 or
    AVX2 machines give 1 or 2 ulps apart); on one machine alone and in a batch they are
    identical, which the test asserts exactly."""
    if pinned is None or actual is None:
        return actual is None and pinned is None
    expected = float.fromhex(pinned)
    return abs(actual - expected) <= 4 * math.ulp(expected)


def test_dsr_and_counteroffer_figures_are_pinned_and_identical_alone_or_in_a_batch() -> None:
    day = date(2026, 3, 1)
    applications = [_pinned(figures) for figures, _, _ in PINNED]
    outcomes, offers = _evaluated(FINTECH, day, applications)
    for (_, dsr, offered), values, outcome, offer in zip(
        PINNED, applications, outcomes, offers, strict=True
    ):
        alone = evaluate_policy(FINTECH, values, on=day, feature_config=CONFIG)
        assert alone == outcome
        assert _near(outcome.results[0].actual, dsr)
        assert [r.code for r in outcome.failed] == ["OJK_MAX_REPAYMENT_TO_INCOME"]
        requested, max_amount, max_amount_dsr, min_term, min_term_dsr = offered
        assert (offer.max_amount, offer.min_term_months) == (max_amount, min_term)
        assert _near(offer.requested_dsr, requested)
        assert offer.requested_dsr == outcome.results[0].actual
        assert _near(offer.max_amount_dsr, max_amount_dsr)
        assert _near(offer.min_term_dsr, min_term_dsr)
        assert policy_counteroffer(alone, values, feature_config=CONFIG) == offer
        assert counteroffer(values, cap=0.30, feature_config=CONFIG) == offer


def test_the_reason_builder_breaks_ties_by_name_and_skips_zeros(
    records: list[dict[str, Any]],
) -> None:
    values = records[:4]
    derived = [{"dsr": 0.41, "new_installment": 1_234_567.0}] * 4
    rows = [
        {"dsr": 0.25, "age": 0.25, "education": 0.0, "province": -0.25, "new_installment": 0.1},
        {"dsr": -0.5, "age": -0.5, "education": -0.5, "province": 0.0, "new_installment": -0.5},
        {"dsr": 0.0, "age": 0.0, "education": 0.0, "province": 0.0, "new_installment": 0.0},
        {"dsr": 1e-9, "age": -2.0, "education": 3.0, "province": 3.0, "new_installment": 0.2},
    ]
    decisions = ["REJECT", "APPROVE", "REVIEW", "REVIEW"]
    groups = tuple(rows[0])
    builder = ReasonBuilder(groups, schema=INDONESIAN_SCHEMA)
    grid = np.array([[row[name] for name in groups] for row in rows])
    built = builder.build(grid, values=values, derived=derived, decisions=decisions)
    assert [[(r.field, r.contribution) for r in reasons] for reasons in built] == [
        [("age", 0.25), ("dsr", 0.25), ("new_installment", 0.1)],
        [("age", -0.5), ("dsr", -0.5), ("education", -0.5), ("new_installment", -0.5)],
        [],
        [("education", 3.0), ("province", 3.0), ("new_installment", 0.2), ("dsr", 0.0)],
    ]
    assert built[3][3].code == "DSR_HIGH"  # 1e-9 raised the risk, and rounds to 0.0
    assert built[0][1].text_en == "Debt service ratio of 41 % raised the risk"
    one_by_one = [
        build_reasons(c, values=v, derived=d, decision=k, schema=INDONESIAN_SCHEMA)
        for c, v, d, k in zip(rows, values, derived, decisions, strict=True)
    ]
    assert one_by_one == built
    with pytest.raises(ValueError, match="not a finite number"):
        builder.build(
            np.array([[float("nan")] + [0.1] * (len(groups) - 1)]),
            values=values[:1],
            derived=derived[:1],
            decisions=["REJECT"],
        )


@pytest.mark.parametrize(
    ("value", "decimals", "text_en"),
    [
        (4_503_599_627_370_495.0, 0, "4,503,599,627,370,495"),  # below 2**52: exact digits
        (4_503_599_627_370_496.0, 2, "4,503,599,627,370,496"),
        (-0.0, 1, "0"),
        (-0.04, 1, "0"),
        (1_250_000.0, 2, "1,250,000"),
        (0.45, 1, "0.5"),
        (2.675, 2, "2.68"),  # half up on the shortest repr, not on the binary value
    ],
)
def test_format_number_whole_and_fractional_values(
    value: float, decimals: int, text_en: str
) -> None:
    assert format_number(value, lang="en", decimals=decimals) == text_en
    swapped = text_en.translate(str.maketrans(",.", ".,"))
    assert format_number(value, lang="id", decimals=decimals) == swapped


def test_the_dsr_of_many_is_each_ones_alone_at_every_term(records: list[dict[str, Any]]) -> None:
    """The rules raise each distinct term's power as a scalar; in a batch of mixed terms and
    rates every application still gets the figures it gets alone."""
    rng = np.random.default_rng(12)
    n = 600
    base = records[0]
    many = [
        {
            **base,
            "loan_term_months": int(rng.choice([1, 1, 1, 2, 3, 12, 36, 360])),
            "annual_interest_rate": float(np.round(rng.uniform(0.0, 0.6), 5)),
            "loan_amount": float(rng.integers(1, 2_000) * 100_000),
            "monthly_income": float(rng.integers(20, 4_000) * 10_000),
            "existing_monthly_installments": float(rng.integers(0, 500) * 10_000),
        }
        for _ in range(n)
    ]
    day = date(2026, 3, 1)
    outcomes = [evaluate_policy(FINTECH, v, on=day, feature_config=CONFIG) for v in many]
    offers = [
        policy_counteroffer(o, v, feature_config=CONFIG)
        for o, v in zip(outcomes, many, strict=True)
    ]
    assert _evaluated(FINTECH, day, many) == (outcomes, offers)
    assert sum(offer is not None for offer in offers) > n // 3
