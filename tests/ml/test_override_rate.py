"""The override rate of the monitoring report's decision mix, on hand-checked cases."""

from __future__ import annotations

from credit_ml.monitoring import override_rate


def test_a_person_against_the_engine_is_an_override_and_a_review_settled_is_not() -> None:
    recorded = ["APPROVE", "REJECT", "REVIEW", "REVIEW", "APPROVE", "REJECT"]
    human: list[tuple[str, bool] | None] = [
        ("REJECT", True),  # an objection upheld: the approval turned down (four eyes)
        ("APPROVE_COUNTEROFFER", True),  # a rejection turned into the counteroffer
        ("APPROVE", False),  # a REVIEW settled the engine's way
        ("APPROVE", True),  # a REVIEW approved against the model: four eyes
        ("APPROVE", False),  # a sampled approval confirmed
        None,  # nobody looked
    ]
    assert override_rate(recorded, human) == {"reviewed": 5, "count": 3, "rate": 0.6}


def test_without_reviews_the_rate_says_so() -> None:
    assert override_rate(["APPROVE"], [None]) == {"reviewed": 0, "count": 0, "rate": None}
