"""A record's content hash survives the database: what is stored and read back verifies.

PostgreSQL's ``jsonb`` normalises numbers (``-0.0`` becomes ``0.0``, ``1e+16`` an integer);
a client sending such a number must not be able to make its record fail verification
forever. Hypothesis writes records whose every number is arbitrary, through the product's
own writer, and re-verifies each one read back.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit import crypto
from audit.crypto import canonical_json
from audit.models import DecisionRecord
from audit.services import content_hash, decision_records_create
from registry.models import ModelVersion
from tests.audit.conftest import recorded

NUMBERS = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.sampled_from([-0.0, 0.0, 1e16, -1e17, 1e300, 5e-324, 1e-7, 2.5e15]),
)


def _with_numbers(value: Any, numbers: st.DataObject) -> Any:
    """``value`` with every number replaced by one that Hypothesis draws."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return numbers.draw(NUMBERS)
    if isinstance(value, dict):
        return {key: _with_numbers(item, numbers) for key, item in value.items()}
    if isinstance(value, list):
        return [_with_numbers(item, numbers) for item in value]
    return value


def test_canonical_json_writes_numbers_as_jsonb_gives_them_back() -> None:
    assert canonical_json({"b": [1e16, -1e17, 1.5], "a": -0.0, "c": "-0.0 e+5"}) == (
        '{"a":0.0,"b":[10000000000000000,-100000000000000000,1.5],"c":"-0.0 e+5"}'
    )
    assert canonical_json({"x": -0.05, "y": 1e-05, "z": 2.5e15}) == (
        '{"x":-0.05,"y":1e-05,"z":2500000000000000.0}'
    )


@settings(max_examples=500, deadline=None)
@given(
    text=st.lists(
        st.sampled_from(["-0.0", "-0.01", "1e+16", "e+", "-0.0]", "0", "9", "-", ".", "e", "+"]),
        max_size=8,
    ).map("".join)
)
def test_the_split_stability_check_matches_the_single_pattern(text: str) -> None:
    assert crypto._jsonb_unstable(text) is (crypto._JSONB_UNSTABLE.search(text) is not None)


@pytest.mark.django_db
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(numbers=st.data())
def test_any_numbers_in_a_record_verify_after_the_round_trip(
    version: ModelVersion, numbers: st.DataObject
) -> None:
    base = recorded(version)
    decision = recorded(
        version,
        reasons=_with_numbers(base.reasons, numbers),
        policy=_with_numbers(base.policy, numbers),
        attributions=_with_numbers(dict(base.attributions), numbers),
        thresholds=_with_numbers(dict(base.thresholds), numbers),
        counteroffer=_with_numbers(dict(base.counteroffer or {}), numbers),
        application={**base.application, "annual_interest_rate": numbers.draw(NUMBERS)},
    )
    (written,) = decision_records_create(decisions=[decision])
    stored = DecisionRecord.objects.get(pk=written.pk)
    assert content_hash(stored) == stored.content_hash == written.content_hash
    assert json.loads(canonical_json(stored.attributions)) == stored.attributions
