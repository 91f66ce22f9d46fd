"""Replay fidelity on decisions made by a champion trained on a lender's dataset spec
(German credit), beside decisions of the built-in schema's models: 100 % reproduced."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from audit.replay import decision_replay
from credit_ml.spec import load_spec, read_training_frame
from credit_ml.training import TrainConfig
from policy.services import simulate
from policy.simulation import SimulationRequest
from registry.services import model_version_promote
from tests.policy.conftest import LOW_DSR, MID_DSR, Record, client_on, varied
from training.services import model_version_train

REPO = Path(__file__).resolve().parents[2]
GERMAN = REPO / ".." / "shared" / "data" / "german_credit" / "german_credit.csv"
SPEC = REPO / "examples" / "specs" / "german_credit.yaml"

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not GERMAN.is_file(), reason=f"needs the German credit data at {GERMAN}"),
]


def german_applications(n: int) -> list[dict[str, Any]]:
    spec = load_spec(SPEC)
    frame = read_training_frame(GERMAN, spec)
    columns = (*spec.features, *spec.protected)
    return [
        {
            column.name: float(row[column.name])
            if column.kind == "numeric"
            else str(row[column.name])
            for column in columns
        }
        for _, row in frame.head(n).iterrows()
    ]


def test_decisions_of_a_lender_spec_champion_and_of_built_in_models_all_replay(
    register: Any, record: Record
) -> None:
    model_version_promote(label=register("m-policy-a").label, reason="first")
    client = client_on("los-mix", "fintech-2026.2")
    built_in = [
        record(varied((LOW_DSR, MID_DSR)[i % 2], i), client=client, day=date(2026, 5, 4))
        for i in range(6)
    ]
    tiny = TrainConfig(n_estimators=20, max_depth=3, learning_rate=0.3, folds=0, seed=1)
    german = model_version_train(data_path=GERMAN, config=tiny, spec_path=SPEC)
    model_version_promote(
        label=german.label,
        reason="lender data",
        override_reason="test",
        schema_change_reason="the lender's own fields",
    )
    lender = [
        record(values, client=client, day=date(2026, 5, 5)) for values in german_applications(10)
    ]
    assert {r.model_label for r in lender} == {german.label}

    report = simulate(request=SimulationRequest(date(2026, 5, 1), date(2026, 5, 31))).to_dict()

    assert report["records"] == 16
    assert report["fidelity"] == {"reproduced": 16, "mismatched": 0, "mismatches": []}
    recorded = Counter(r.decision for r in built_in + lender)
    assert report["after"] == {k: recorded[k] for k in ("APPROVE", "REVIEW", "REJECT")}
    assert report["skipped"] == {}
    # The compliance officer's replay of one record decides with the recorded model's own
    # schema too (its fields decide which rules apply), and reproduces every record.
    replays = [decision_replay(request_id=str(r.request_id)) for r in built_in + lender]
    assert [replay.differences for replay in replays] == [()] * 16
    assert {replay.model_label for replay in replays[6:]} == {german.label}
