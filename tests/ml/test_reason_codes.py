"""``ReasonBuilder.codes`` is ``build`` without the texts, and the portfolio writes the codes
the API gives (``decide_many``) for the same application."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pytest

from credit_ml.decision import Decision, decide_codes, decide_many
from credit_ml.features import FeatureConfig
from credit_ml.policy import (
    RuleSet,
    bank_rule_set_2,
    fintech_rule_set,
    fintech_rule_set_2,
    policy_evaluator,
)
from credit_ml.portfolio import REASONS, ChunkRules, score_chunk
from credit_ml.reasons import ReasonBuilder
from credit_ml.schema import INDONESIAN_SCHEMA
from credit_ml.scoring import ScoringModel
from tests.ml.conftest import cleaned_records

ON = date(2026, 12, 1)
GROUPS = (
    "age",
    "province",
    "monthly_income",
    "annual_interest_rate",
    "loan_term_months",
    "worst_collectibility_24m",
    "dsr",
    "new_installment",
)
OPTIONAL = ("province", "annual_interest_rate", "worst_collectibility_24m")


def _values(rng: np.random.Generator, n: int) -> list[dict[str, Any]]:
    rows = []
    for _ in range(n):
        row: dict[str, Any] = {
            "age": int(rng.integers(17, 70)),
            "province": "BALI",
            "monthly_income": float(rng.integers(1, 30)) * 1e6,
            "annual_interest_rate": 0.2,
            "loan_term_months": int(rng.integers(1, 36)),
            "worst_collectibility_24m": int(rng.integers(1, 6)),
        }
        for name in OPTIONAL:
            if rng.random() < 0.3:
                row[name] = None
        rows.append(row)
    return rows


def _config() -> FeatureConfig:
    return FeatureConfig()


def _as_codes(reasons: tuple[Any, ...]) -> tuple[tuple[str, float | None], ...]:
    return tuple((reason.code, reason.contribution) for reason in reasons)


@pytest.mark.parametrize("limit", [1, 3, 4])
def test_codes_are_the_codes_and_contributions_build_gives(limit: int) -> None:
    """Random contributions (zeros and ties included), all three decisions, missing
    optional values, with and without failed rules first."""
    rng = np.random.default_rng(limit)
    n = 400
    grid = rng.normal(0, 0.3, size=(n, len(GROUPS))).round(2)
    grid[rng.random(grid.shape) < 0.2] = 0.0
    values = _values(rng, n)
    derived = [{"dsr": 0.3, "new_installment": 1e6} for _ in range(n)]
    decisions = [str(rng.choice(["APPROVE", "REVIEW", "REJECT"])) for _ in range(n)]
    evaluator = policy_evaluator(
        fintech_rule_set(rule_reasons=True), on=ON, feature_config=_config()
    )
    batch = evaluator.evaluate(
        [
            {
                **v,
                "active_lending_platforms": int(rng.integers(0, 6)),
                "loan_amount": float(rng.integers(1, 50)) * 1e6,
                "existing_monthly_installments": float(rng.integers(0, 5)) * 1e6,
            }
            for v in values
        ]
    )
    policies = list(batch.outcomes)
    assert sum(p is not None and not p.passed for p in policies) > 50
    builder = ReasonBuilder(GROUPS, schema=INDONESIAN_SCHEMA, limit=limit)
    missing = np.array([[v.get(g) is None for g in GROUPS] for v in values])
    for rules in (None, policies):
        built = builder.build(
            grid, values=values, derived=derived, decisions=decisions, policies=rules
        )
        codes = builder.codes(grid, missing=missing, decisions=decisions, policies=rules)
        assert codes == [_as_codes(reasons) for reasons in built]
    assert any(code.endswith("_MISSING") for row in codes for code, _ in row)
    assert any(contribution is None for row in codes for _, contribution in row)


def test_codes_refuse_a_mask_of_the_wrong_shape() -> None:
    builder = ReasonBuilder(GROUPS, schema=INDONESIAN_SCHEMA)
    with pytest.raises(ValueError, match="missing mask"):
        builder.codes(
            np.zeros((2, len(GROUPS))), missing=np.zeros((2, 3), bool), decisions=["REJECT"] * 2
        )


def _decided(model: ScoringModel, frame: pd.DataFrame, rule_set: RuleSet) -> list[Decision]:
    return decide_many(model, cleaned_records(frame), rule_set=rule_set, on=ON)


@pytest.mark.parametrize(
    "rule_set",
    [fintech_rule_set_2(), fintech_rule_set(), bank_rule_set_2()],
    ids=["fintech-2", "fintech", "bank-2"],
)
def test_the_portfolio_writes_the_codes_the_api_gives(
    scoring_model: ScoringModel, applications: pd.DataFrame, rule_set: RuleSet
) -> None:
    """Rows with empty optional fields, rows the rules reject, approvals: each row's codes
    and contributions in the output are those of ``decide_many`` (the API's path)."""
    frame = applications.head(400).copy()
    frame.loc[::3, "annual_interest_rate"] = None
    frame.loc[1::4, "worst_collectibility_24m"] = pd.NA
    frame.loc[2::5, "province"] = None
    frame.loc[::7, "monthly_income"] = 1_500_000.0
    expected = _decided(scoring_model, frame, rule_set)
    table = score_chunk(scoring_model, frame, rules=ChunkRules(rule_set, ON), first_row=0)
    columns = table.to_pydict()
    assert columns["error"] == [None] * len(frame)
    assert columns["decision"] == [d.decision.value for d in expected]
    for i in range(1, REASONS + 1):
        assert columns[f"reason_{i}_code"] == [_place(d, i, "code") for d in expected]
        assert columns[f"reason_{i}_contribution"] == [
            _place(d, i, "contribution") for d in expected
        ]
    codes = {c for i in range(1, REASONS + 1) for c in columns[f"reason_{i}_code"] if c}
    assert any(code.endswith("_MISSING") for code in codes)
    assert {d.decision.value for d in expected} >= {"APPROVE", "REJECT"}


def _place(decision: Decision, place: int, what: str) -> object:
    reasons = decision.reasons
    return getattr(reasons[place - 1], what) if len(reasons) >= place else None


def test_decide_codes_gives_each_application_what_decide_many_gives_it(
    scoring_model: ScoringModel, applications: pd.DataFrame, to_records: Any
) -> None:
    records = to_records(applications.head(300))
    records[4] = {**records[4], "monthly_income": 0}  # cannot be decided
    rule_set = fintech_rule_set_2()
    coded = decide_codes(scoring_model, records, rule_set=rule_set, on=ON)
    assert list(coded.errors) == [4]
    assert coded.errors[4].field == "monthly_income"
    assert (coded.decision[4], coded.probability_of_default[4], coded.reasons[4]) == (
        None,
        None,
        (),
    )
    kept = [values for i, values in enumerate(records) if i != 4]
    full = decide_many(scoring_model, kept, rule_set=rule_set, on=ON)
    positions = [i for i in range(len(records)) if i != 4]
    assert [coded.probability_of_default[i] for i in positions] == [
        d.probability_of_default for d in full
    ]
    assert [coded.credit_score[i] for i in positions] == [d.credit_score for d in full]
    assert [coded.risk_grade[i] for i in positions] == [d.risk_grade for d in full]
    assert [coded.decision[i] for i in positions] == [d.decision.value for d in full]
    assert [coded.reasons[i] for i in positions] == [
        tuple((r.code, r.contribution) for r in d.reasons) for d in full
    ]
