"""One credit decision: the rules first, then the model version's PD thresholds.

A failed hard rule means REJECT whatever the model says. Reasons come from the model's
per-field attributions (REVIEW/REJECT: what raised the risk most; APPROVE: what helped
most). When only the repayment-to-income cap stands in the way, a counteroffer says what
would meet it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from credit_ml.features import FeatureConfig, derive_features
from credit_ml.policy import (
    Counteroffer,
    PolicyOutcome,
    RuleSet,
    evaluate_policy,
    policy_counteroffer,
)
from credit_ml.reasons import Reason, build_reasons
from credit_ml.schema import INDONESIAN_SCHEMA, ApplicationSchema
from credit_ml.scoring import ModelOutput, ScoringModel

REJECT = "REJECT"


@dataclass(frozen=True)
class Decision:
    """Everything a caller returns and records for one application."""

    probability_of_default: float
    credit_score: int
    risk_grade: str
    decision: str
    model_decision: str
    reasons: tuple[Reason, ...]
    policy: PolicyOutcome
    counteroffer: Counteroffer | None
    base_value: float
    margin: float
    contributions: Mapping[str, float]
    derived: Mapping[str, float]

    @property
    def failed_rules(self) -> tuple[str, ...]:
        return tuple(result.code for result in self.policy.results if not result.passed)


def derived_values(
    values: Mapping[str, Any], config: FeatureConfig, schema: ApplicationSchema
) -> dict[str, float]:
    """The derived features of one cleaned application, as plain floats in original units."""
    if not schema.derived:
        return {}
    names = {name for feature in schema.derived for name in feature.inputs}
    columns = {
        name: np.array([np.nan if values.get(name) is None else float(values[name])])
        for name in names
    }
    return {name: float(array[0]) for name, array in derive_features(columns, config).items()}


def _compose(
    output: ModelOutput,
    values: Mapping[str, Any],
    *,
    policy: PolicyOutcome,
    config: FeatureConfig,
    schema: ApplicationSchema,
) -> Decision:
    decision = output.model_decision if policy.passed else REJECT
    derived = derived_values(values, config, schema)
    reasons = build_reasons(
        output.contributions, values=values, derived=derived, decision=decision, schema=schema
    )
    offer = None if policy.passed else policy_counteroffer(policy, values, feature_config=config)
    return Decision(
        probability_of_default=output.probability_of_default,
        credit_score=output.credit_score,
        risk_grade=output.risk_grade,
        decision=decision,
        model_decision=output.model_decision,
        reasons=reasons,
        policy=policy,
        counteroffer=offer,
        base_value=output.base_value,
        margin=output.margin,
        contributions=output.contributions,
        derived=derived,
    )


def decide(
    model: ScoringModel,
    values: Mapping[str, Any],
    *,
    rule_set: RuleSet,
    on: date,
    schema: ApplicationSchema = INDONESIAN_SCHEMA,
) -> Decision:
    """Decide one cleaned application (``validate_record`` output) as of ``on``."""
    config = model.manifest.feature_config
    policy = evaluate_policy(rule_set, values, on=on, feature_config=config, collected=schema.names)
    output = model.score_row(values)
    return _compose(output, values, policy=policy, config=config, schema=schema)


def decide_many(
    model: ScoringModel,
    applications: Sequence[Mapping[str, Any]],
    *,
    rule_set: RuleSet,
    on: date,
    schema: ApplicationSchema = INDONESIAN_SCHEMA,
) -> list[Decision]:
    """Decide many applications with one vectorised prediction and attribution pass."""
    config = model.manifest.feature_config
    outputs = model.score_rows(applications)
    return [
        _compose(
            output,
            values,
            policy=evaluate_policy(
                rule_set, values, on=on, feature_config=config, collected=schema.names
            ),
            config=config,
            schema=schema,
        )
        for output, values in zip(outputs, applications, strict=True)
    ]
