"""Rules without texts over numeric columns: ``PolicyEvaluator.evaluate(texts=False)``
checks each rule in one array pass, and ``PolicyBatch`` gives re-deciding its arrays
(``passed``, ``review``, ``failed_codes``, ``reason_codes``, ``counteroffer_rows``). Over
generated applications and hand-made edge rows, on every built-in rule set and on dates
around the rules' changes, every result equals the result with texts but for its messages,
the arrays equal what the outcomes give, and the decisions re-decided from them equal
``decide_many``'s."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pytest

from credit_ml.decision import decide_codes, decide_outcomes, decide_stream
from credit_ml.features import FeatureConfig, FeatureInputError, record_columns
from credit_ml.policy import (
    PolicyBatch,
    PolicyEvaluator,
    PolicyOutcome,
    Rule,
    RuleKind,
    RuleSet,
    Schedule,
    Threshold,
    Unchecked,
    bank_rule_set,
    bank_rule_set_2,
    counteroffer_cap,
    fintech_rule_set,
    fintech_rule_set_2,
)
from credit_ml.reasons import _reason_rules
from credit_ml.schema import INDONESIAN_SCHEMA
from credit_ml.scoring import ScoringModel

CONFIG = FeatureConfig()

#: Before the built-in rules, in 2025 (40 % cap), the day the 30 % cap starts, 2026, the
#: day the minimum income starts, and after it.
DATES = (
    date(2023, 6, 1),
    date(2025, 6, 1),
    date(2026, 1, 1),
    date(2026, 6, 1),
    date(2027, 1, 1),
    date(2027, 6, 1),
)


def _own_rule_set() -> RuleSet:
    """A lender's set: a rule of its own that rejects when not checked, one suspended, and
    two DSR caps (the tighter one is the counteroffer's)."""
    base = fintech_rule_set_2()
    extra = (
        Rule(
            code="OWN_MAX_DSR",
            kind=RuleKind.MAX_DSR,
            schedule=Schedule((Threshold(date(2025, 1, 1), 0.25),)),
            title_id="DSR",
            title_en="DSR",
            source="own",
        ),
        Rule(
            code="OWN_MAX_PLATFORMS",
            kind=RuleKind.MAX_PLATFORMS,
            schedule=Schedule((Threshold(date(2024, 1, 1), 2), Threshold(date(2027, 1, 1), None))),
            title_id="Platform",
            title_en="Platforms",
            source="own",
            unchecked=Unchecked.REJECT,
        ),
        Rule(
            code="OWN_MIN_AGE",
            kind=RuleKind.MIN_AGE,
            schedule=Schedule((Threshold(date(2024, 1, 1), 21),)),
            title_id="Usia",
            title_en="Age",
            source="own",
            unchecked=Unchecked.PASS,
        ),
    )
    return dataclasses.replace(base, version="own-1", rules=(*base.rules, *extra))


RULE_SETS = (
    fintech_rule_set(),
    fintech_rule_set_2(),
    bank_rule_set(),
    bank_rule_set_2(),
    _own_rule_set(),
)

#: At the cap of 30 %: rate 0, 10 months, no existing installments, income Rp 10 million.
AT_CAP = {
    "annual_interest_rate": 0.0,
    "loan_term_months": 10,
    "existing_monthly_installments": 0.0,
    "monthly_income": 10_000_000.0,
    "loan_amount": 30_000_000.0,
}


def _edges(base: dict[str, Any]) -> list[dict[str, Any]]:
    """Hand-made rows: missing optional figures, figures exactly at each limit and either
    side of it, married and unmarried minors, figures that are not plain numbers (read one
    by one), and rows that cannot be decided or compared."""
    changes: list[dict[str, Any]] = [
        {"age": None, "marital_status": "SINGLE"},
        {"age": None, "marital_status": "MARRIED"},
        {"age": 17, "marital_status": "MARRIED"},
        {"age": 17, "marital_status": "SINGLE"},
        {"age": 18, "marital_status": "SINGLE"},
        {"age": 17.5, "marital_status": None},
        {"age": 21.0, "marital_status": "DIVORCED"},
        {"age": None, "marital_status": 1},  # no string: compared one by one
        {"age": 20, "marital_status": "MARRIED "},
        {"age": np.int64(17)},  # not plain
        {"active_lending_platforms": None},
        {"active_lending_platforms": 0},
        {"active_lending_platforms": 1},
        {"active_lending_platforms": 2},
        {"active_lending_platforms": 3},
        {"active_lending_platforms": 2.5},
        {"active_lending_platforms": -1},
        {"active_lending_platforms": True},  # not plain
        {"active_lending_platforms": 2**53 + 1},  # beyond float64's whole numbers
        {"active_lending_platforms": 2.0**60},
        {"monthly_income": 3_000_000.0},
        {"monthly_income": 2_999_999.99},
        {"monthly_income": 3_000_000},
        {"monthly_income": 0},  # an input error
        {"monthly_income": float("nan")},  # an input error
        {"monthly_income": None},  # an input error
        {"monthly_income": "5000000"},  # reads for the DSR, cannot be compared
        {"loan_amount": 2_000_000_000},
        {"loan_amount": 2_000_000_000.0},
        {"loan_amount": 2_000_000_001},
        {"loan_amount": 10**20},
        {"loan_amount": None},  # an input error, or not checked without the DSR
        {"loan_amount": "lots"},  # cannot be read
        {"loan_term_months": 0},  # an input error
        {"annual_interest_rate": None},  # the default rate
        {"annual_interest_rate": float("nan")},  # a DSR that is not a number
        {"annual_interest_rate": 1e308},  # an infinite DSR
        AT_CAP,
        {**AT_CAP, "loan_amount": 30_000_000.05},  # above the cap within the tolerance
        {**AT_CAP, "loan_amount": 30_000_100.0},  # above it
        {**AT_CAP, "monthly_income": 12_500_000.0},  # exactly 24 %, 25 %-ish caps pass
        {**AT_CAP, "loan_amount": 40_000_000.0},  # exactly 40 %
        {**AT_CAP, "loan_amount": 50_000_000.0},  # exactly 50 %
        {**AT_CAP, "loan_amount": 35_000_000.0},  # exactly 35 %
        {**AT_CAP, "loan_amount": 25_000_000.0},  # exactly 25 %
    ]
    rows = [{**base, **change} for change in changes]
    rows.append({k: v for k, v in base.items() if k != "active_lending_platforms"})
    rows.append({k: v for k, v in base.items() if k != "loan_term_months"})
    return rows


@pytest.fixture(scope="module")
def records(applications: pd.DataFrame, to_records: Any) -> list[dict[str, Any]]:
    """400 generated applications, some figures varied to reach the limits, then the edges."""
    generated: list[dict[str, Any]] = to_records(applications.head(400))
    rng = np.random.default_rng(5)
    for values in generated[::3]:
        values["active_lending_platforms"] = [None, 0, 1, 2, 3, 4][int(rng.integers(0, 6))]
        values["age"] = [None, 17, 18, 19, 35][int(rng.integers(0, 5))]
        values["monthly_income"] = float(rng.choice([2_500_000, 3_000_000, 8_000_000]))
    return generated + _edges(generated[0])


def _same(with_texts: Any, without: Any) -> bool:
    """Equal, NaN included, and of the same types (``repr`` shows both)."""
    return repr(with_texts) == repr(without)


def _errors(batch: PolicyBatch) -> dict[int, tuple[type, str]]:
    return {i: (type(e), str(e)) for i, e in batch.errors.items()}


def _assert_arrays_match_outcomes(batch: PolicyBatch) -> None:
    """What ``PolicyBatch`` gives as arrays is what its outcomes give."""
    rows = [i for i in range(batch.size) if i not in batch.errors]
    outcomes = [batch.outcomes[i] for i in rows]
    assert all(outcome is not None for outcome in outcomes)
    assert batch.passed[rows].tolist() == [o.passed for o in outcomes if o]
    assert batch.review[rows].tolist() == [o.review for o in outcomes if o]
    failed, reasons = batch.failed_codes(), batch.reason_codes()
    assert [failed[i] for i in rows] == [
        tuple(r.code for r in o.results if not r.passed) for o in outcomes if o
    ]
    assert [reasons[i] for i in rows] == [tuple(r.code for r in _reason_rules(o)) for o in outcomes]
    caps = {i: counteroffer_cap(o) for i, o in zip(rows, outcomes, strict=True) if o}
    wanted = batch.counteroffer_rows()
    expected = [i for i in rows if caps[i] is not None]
    if wanted is None:
        assert expected == []
    else:
        cap, at = wanted
        assert at.tolist() == expected
        assert {caps[i] for i in expected} <= {cap}


def _unwritten(full: PolicyBatch, bare: PolicyBatch) -> dict[int, PolicyOutcome]:
    """The outcomes without texts of the rows whose compared figure (a DSR, an income) is
    no finite number: with texts its message cannot be written (``ValueError``); without,
    the rule fails on it, as it did before the array pass. Checked here, and left out of
    the comparison."""
    unwritten = {}
    for i, error in full.errors.items():
        outcome = bare.outcomes[i]
        if outcome is None:
            continue
        assert "non-finite" in str(error)
        assert any(
            r.in_force and not r.passed and not math.isfinite(r.actual or 0.0)
            for r in outcome.results
        )
        unwritten[i] = outcome
    return unwritten


def _evaluators(rule_set: RuleSet, on: date) -> Sequence[PolicyEvaluator]:
    """Every rule applicable, and some not applicable (fields the schema does not collect):
    the platforms and age, or the DSR (then a missing income or amount is not checked)."""
    names = set(INDONESIAN_SCHEMA.names)
    return [
        PolicyEvaluator(rule_set, on=on, feature_config=CONFIG, collected=collected)
        for collected in (
            None,
            names - {"active_lending_platforms", "age"},
            names - {"existing_monthly_installments"},
        )
    ]


@pytest.mark.parametrize("on", DATES, ids=str)
@pytest.mark.parametrize("rule_set", RULE_SETS, ids=lambda r: r.version)
def test_rules_over_columns_equal_the_rules_with_texts_but_for_the_messages(
    records: list[dict[str, Any]], rule_set: RuleSet, on: date
) -> None:
    for evaluator in _evaluators(rule_set, on):
        full = evaluator.evaluate(records)
        bare = evaluator.evaluate(records, texts=False)
        unwritten = _unwritten(full, bare)
        assert _errors(bare) == {i: e for i, e in _errors(full).items() if i not in unwritten}
        assert list(bare.errors) == [i for i in full.errors if i not in unwritten]
        for a, b in zip(full.outcomes, bare.outcomes, strict=True):
            assert (a is None) == (b is None) or b in unwritten.values()
            if a is None or b is None:
                continue
            assert (a.rule_set_version, a.decision_date) == (b.rule_set_version, b.decision_date)
            for with_texts, without in zip(a.results, b.results, strict=True):
                if with_texts.in_force:
                    assert (without.message_id, without.message_en) == ("", "")
                    without = dataclasses.replace(
                        without,
                        message_id=with_texts.message_id,
                        message_en=with_texts.message_en,
                    )
                assert _same(with_texts, without)
        _assert_arrays_match_outcomes(full)
        _assert_arrays_match_outcomes(bare)
        offers, failed = evaluator.counteroffers(bare)
        expected, refused = evaluator.counteroffers(full)
        assert _same(
            [o for i, o in enumerate(offers) if i not in unwritten],
            [o for i, o in enumerate(expected) if i not in unwritten],
        )
        assert _same({i: e for i, e in failed.items() if i not in unwritten}, refused)


def test_the_edges_reach_every_state_and_both_paths(records: list[dict[str, Any]]) -> None:
    """The rows above do test something: every kind passes, fails and goes unchecked, some
    rows are read one by one, some cannot be decided, some get a counteroffer."""
    evaluators = _evaluators(_own_rule_set(), date(2027, 6, 1))
    batch, *others = (evaluator.evaluate(records, texts=False) for evaluator in evaluators)
    states = {
        (result.kind, result.state)
        for evaluated in (batch, *others)
        for outcome in evaluated.outcomes
        if outcome
        for result in outcome.results
    }
    for kind in ("max_dsr", "max_platforms", "min_age", "min_income", "max_loan_amount"):
        assert {(kind, "passed"), (kind, "failed")} <= states
    for kind in ("max_platforms", "min_age", "min_income", "max_loan_amount"):
        assert (kind, "not_checked") in states
    _, plain = record_columns(records, evaluators[0].numeric_fields)
    assert not plain.all()
    assert {type(e) for e in batch.errors.values()} > {FeatureInputError}
    wanted = batch.counteroffer_rows()
    assert wanted is not None
    assert wanted[1].size > 10
    assert batch.review.any()


def test_columns_without_the_compared_figures_are_completed(
    records: list[dict[str, Any]],
) -> None:
    """A caller's columns that lack a figure a rule compares: the evaluator reads it."""
    evaluator = PolicyEvaluator(fintech_rule_set_2(), on=date(2027, 6, 1), feature_config=CONFIG)
    names = ("loan_amount", "loan_term_months", "existing_monthly_installments")
    columns, plain = record_columns(records, (*names, "monthly_income", "annual_interest_rate"))
    given = evaluator.evaluate(records, columns=columns, plain=plain, texts=False)
    read = evaluator.evaluate(records, texts=False)
    assert _errors(given) == _errors(read)
    assert _same(given.outcomes, read.outcomes)


def test_an_empty_batch_and_a_rule_set_without_rules() -> None:
    evaluator = PolicyEvaluator(fintech_rule_set_2(), on=date(2027, 6, 1), feature_config=CONFIG)
    empty = evaluator.evaluate([], texts=False)
    assert (empty.outcomes, empty.failed_codes(), empty.passed.tolist()) == ((), [], [])
    bare = dataclasses.replace(fintech_rule_set_2(), version="none", rules=())
    batch = PolicyEvaluator(bare, on=date(2027, 6, 1), feature_config=CONFIG).evaluate(
        [{"age": 30}], texts=False
    )
    assert batch.failed_codes() == [()]
    assert batch.passed.tolist() == [True]
    assert batch.counteroffer_rows() is None


@pytest.mark.parametrize("on", DATES[1:], ids=str)
@pytest.mark.parametrize("rule_set", RULE_SETS, ids=lambda r: r.version)
def test_decisions_from_the_columns_equal_decide_many(
    scoring_model: ScoringModel, records: list[dict[str, Any]], rule_set: RuleSet, on: date
) -> None:
    """``decide_outcomes`` and ``decide_codes`` (the rules without texts) give each row what
    ``decide_many`` (the rules with texts) gives it; where it cannot, the same error."""
    # decide_many and decide_codes raise errors other than FeatureInputError: leave out
    # the rows that raise one under some rule set and date (figures that are strings, and
    # a DSR that is not a finite number, whose message decide_many cannot write).
    kept = [
        values
        for values in records
        if not any(isinstance(values.get(name), str) for name in ("loan_amount", "monthly_income"))
        and values.get("annual_interest_rate") not in (1e308,)
        and values.get("annual_interest_rate") == values.get("annual_interest_rate")
    ]
    (full,) = decide_stream(scoring_model, kept, rule_set=rule_set, on=on, chunk_size=len(kept))
    outcomes = decide_outcomes(scoring_model, kept, rule_set=rule_set, on=on)
    coded = decide_codes(scoring_model, kept, rule_set=rule_set, on=on)
    refused = {i for i, item in enumerate(full) if isinstance(item, FeatureInputError)}
    assert set(outcomes.errors) == refused == set(coded.errors)
    assert refused
    for i, item in enumerate(full):
        if isinstance(item, FeatureInputError):
            assert repr(outcomes.errors[i]) == repr(coded.errors[i]) == repr(item)
            continue
        assert outcomes.decision[i] == coded.decision[i] == item.decision.value
        assert outcomes.failed_rules[i] == item.failed_rules
        assert outcomes.probability_of_default[i] == item.probability_of_default
        assert coded.reasons[i] == tuple((r.code, r.contribution) for r in item.reasons)
    assert {item.decision.value for item in full if not isinstance(item, Exception)} == {
        "APPROVE",
        "REVIEW",
        "REJECT",
    }
