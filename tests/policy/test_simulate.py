"""Simulation on recorded decisions: replay fidelity, flips, rule hits, outcomes, no writes."""

from __future__ import annotations

import copy
import dataclasses
from collections import Counter
from datetime import date
from typing import Any

import pytest

from audit import crypto
from audit.models import AuditAccess, AuditCheckpoint, DecisionRecord, Outcome
from audit.outcomes import outcome_defaulted_by_request
from audit.sealing import audit_seal, audit_verify
from credit_ml.decision import decide_outcomes
from credit_ml.policy import fintech_rule_set_2
from policy.models import SimulationRun
from policy.selectors import simulation_records
from policy.services import (
    SimulationRefused,
    _stored_rule_sets,
    _version_model,
    simulate,
    simulation_candidate,
    simulation_columns,
)
from policy.simulation import SimulationRequest
from registry.model_cache import version_model
from registry.models import ModelVersion, RuleSet
from registry.selectors import rule_set_policy
from registry.services import model_version_promote
from tests.policy.conftest import HIGH_DSR, LOW_DSR, MID_DSR, Record, client_on, varied

pytestmark = pytest.mark.django_db

MARCH = date(2026, 3, 2)
APRIL = date(2026, 4, 6)
FROM, TO = date(2026, 3, 1), date(2026, 4, 30)


def lower_cap_draft(cap: float = 0.2) -> RuleSet:
    """A draft of fintech-2026.2 with a 20 % repayment-to-income cap from 2026 (stored as a
    draft directly: simulations also take drafts whose effective date has passed)."""
    definition = copy.deepcopy(fintech_rule_set_2().to_dict())
    definition["version"] = "fintech-2026.3-sim"
    definition["rules"][0]["schedule"][-1]["value"] = cap
    return RuleSet.objects.create(
        name="fintech",
        version=definition["version"],
        definition=definition,
        effective_from=date(2026, 1, 1),
    )


@pytest.fixture
def history(register: Any, record: Record) -> list[DecisionRecord]:
    """Twelve decisions per model version (a, then b), on two rule sets and two dates."""
    model_version_promote(label=register("m-policy-a").label, reason="first")
    fintech, old = client_on("los-new", "fintech-2026.2"), client_on("los-old", "fintech-2026.1")
    made = []
    for i in range(12):
        base = (LOW_DSR, MID_DSR, HIGH_DSR)[i % 3]
        made.append(record(varied(base, i), client=(fintech, old)[i % 2], day=MARCH))
    model_version_promote(
        label=register("m-policy-b").label, reason="second", override_reason="test history"
    )
    bank = client_on("los-bank", "bank-2026.2-dsr35")
    for i in range(12, 24):
        base = (LOW_DSR, MID_DSR, HIGH_DSR)[i % 3]
        made.append(record(varied(base, i), client=(fintech, bank)[i % 2], day=APRIL))
    return made


def test_every_recorded_decision_is_reproduced_under_its_own_model_and_rule_set(
    history: list[DecisionRecord],
) -> None:
    assert {(r.model_label, r.rule_set_version) for r in history} == {
        ("m-policy-a", "fintech-2026.2"),
        ("m-policy-a", "fintech-2026.1"),
        ("m-policy-b", "fintech-2026.2"),
        ("m-policy-b", "bank-2026.2-dsr35"),
    }
    report = simulate(request=SimulationRequest(FROM, TO)).to_dict()
    recorded = Counter(r.decision for r in history)
    assert report["records"] == 24
    assert report["fidelity"] == {"reproduced": 24, "mismatched": 0, "mismatches": []}
    assert (
        report["before"]
        == report["after"]
        == {k: recorded[k] for k in ("APPROVE", "REVIEW", "REJECT")}
    )
    assert set(report["flips"].values()) == {0}


def test_a_lower_cap_flips_exactly_the_applications_between_the_caps(
    history: list[DecisionRecord],
) -> None:
    draft = lower_cap_draft()
    fintech = [r for r in history if r.rule_set_version == "fintech-2026.2"]
    request = SimulationRequest(FROM, TO, client="los-new", rule_set_id=draft.pk)
    report = simulate(request=request).to_dict()
    # Hand-checked: LOW (12.5 %) stays, MID (25 %) is rejected by the 20 % cap whatever it
    # was, HIGH (41 %) was rejected by the 30 % cap already.
    mid = [r for r in fintech if 0.2 < r.policy[0]["actual"] <= 0.3]
    high = [r for r in fintech if r.failed_rules == ["OJK_MAX_REPAYMENT_TO_INCOME"]]
    expected_flips = Counter(f"{r.decision}->REJECT" for r in mid if r.decision != "REJECT")
    assert (len(mid), len(high)) == (4, 4)  # a third of each client's twelve
    assert report["records"] == len(fintech) == 12
    assert {k: v for k, v in report["flips"].items() if v} == dict(expected_flips)
    assert report["rule_hits"]["before"].get("OJK_MAX_REPAYMENT_TO_INCOME", 0) == len(high)
    assert report["rule_hits"]["after"]["OJK_MAX_REPAYMENT_TO_INCOME"] == len(high) + len(mid)
    assert report["after"]["REJECT"] == report["before"]["REJECT"] + sum(expected_flips.values())


def test_outcomes_before_and_after_and_no_reject_inference(history: list[DecisionRecord]) -> None:
    draft = lower_cap_draft()
    fintech = [r for r in history if r.client_name == "los-new"]
    for i, r in enumerate(fintech):
        if r.decision != "REJECT":
            Outcome.objects.create(
                request_id=r.request_id, defaulted=i % 2 == 0, observed_at=date(2026, 9, 1)
            )
    report = simulate(
        request=SimulationRequest(FROM, TO, client="los-new", rule_set_id=draft.pk)
    ).to_dict()
    known = outcome_defaulted_by_request(r.request_id for r in fintech)
    flipped = [r for r in fintech if r.request_id in known and 0.2 < r.policy[0]["actual"] <= 0.3]
    approved_before = [r for r in fintech if r.decision == "APPROVE"]
    outcomes = report["outcomes"]
    assert outcomes["known"] == len(known)
    assert outcomes["approved_before"]["count"] == len(approved_before)
    assert outcomes["approved_before"]["defaults"] == sum(
        known[r.request_id] for r in approved_before
    )
    assert outcomes["defaulters_rejected"] == sum(known[r.request_id] for r in flipped)
    assert outcomes["good_payers_turned_away"] == sum(not known[r.request_id] for r in flipped)
    assert "no reject inference" in outcomes["note"]


def test_a_simulation_writes_nothing_to_the_audit_trail(history: list[DecisionRecord]) -> None:
    audit_seal()
    tables = (DecisionRecord, AuditCheckpoint, AuditAccess, Outcome, RuleSet)
    before = {model.__name__: model.objects.count() for model in tables}
    chain = list(AuditCheckpoint.objects.values_list("checkpoint_hash", flat=True))
    simulate(request=SimulationRequest(FROM, TO, rule_set_id=lower_cap_draft().pk))
    after = {model.__name__: model.objects.count() for model in tables}
    assert after == {**before, "RuleSet": before["RuleSet"] + 1}  # the draft made above
    assert list(AuditCheckpoint.objects.values_list("checkpoint_hash", flat=True)) == chain
    assert audit_verify().ok


def test_a_bad_request_is_refused_naming_the_fields() -> None:
    with pytest.raises(SimulationRefused) as refused:
        simulate(request=SimulationRequest(date(2026, 4, 1), date(2026, 3, 1), model_label="nope"))
    assert refused.value.fields == {
        "date_to": ["is before date_from"],
        "model": ["'nope' is not a READY model version"],
    }
    assert SimulationRun.objects.count() == 0


def test_the_province_purpose_and_client_filters_pick_their_records(
    history: list[DecisionRecord],
) -> None:
    bali = [r for r in history if r.application_masked["province"] == "BALI"]
    education_old = [
        r
        for r in history
        if r.application_masked["loan_purpose"] == "EDUCATION" and r.client_name == "los-old"
    ]
    report = simulate(request=SimulationRequest(FROM, TO, province="BALI")).to_dict()
    assert report["records"] == len(bali) == 8
    assert [row["segment"] for row in report["segments"]["province"]] == ["BALI"]
    narrowed = SimulationRequest(FROM, TO, client="los-old", purpose="EDUCATION")
    report = simulate(request=narrowed).to_dict()
    assert report["records"] == len(education_old) == 6
    assert [row["segment"] for row in report["segments"]["client"]] == ["los-old"]
    assert [row["segment"] for row in report["segments"]["purpose"]] == ["EDUCATION"]


def test_the_approved_population_and_the_grade_segments(history: list[DecisionRecord]) -> None:
    draft = lower_cap_draft()
    fintech = [r for r in history if r.client_name == "los-new"]
    report = simulate(
        request=SimulationRequest(FROM, TO, client="los-new", rule_set_id=draft.pk)
    ).to_dict()
    approved = [r for r in fintech if r.decision == "APPROVE"]
    amounts = {r.pk: crypto.decrypt_inputs(r.inputs_encrypted)["loan_amount"] for r in approved}
    before = report["approved"]["before"]
    assert before["count"] == len(approved)
    assert before["mean_pd"] == pytest.approx(
        sum(r.probability_of_default for r in approved) / len(approved), rel=1e-12
    )
    assert before["expected_loss"] == pytest.approx(
        sum(r.probability_of_default * amounts[r.pk] for r in approved), rel=1e-12
    )
    still = [r for r in approved if r.policy[0]["actual"] <= 0.2]  # under the 20 % cap
    after = report["approved"]["after"]
    assert after["count"] == len(still)
    assert after["expected_loss"] == pytest.approx(
        sum(r.probability_of_default * amounts[r.pk] for r in still), rel=1e-12
    )
    grades = Counter(r.risk_grade for r in fintech)
    assert {row["segment"]: row["records"] for row in report["segments"]["grade"]} == grades


def test_a_candidate_model_decides_as_that_model_decided_the_same_applications(
    register: Any, record: Record
) -> None:
    model_version_promote(label=register("m-policy-a").label, reason="first")
    client = client_on("los-same", "fintech-2026.2")
    applications = [varied((LOW_DSR, MID_DSR, HIGH_DSR)[i % 3], i) for i in range(9)]
    under_a = [record(values, client=client, day=MARCH) for values in applications]
    model_version_promote(
        label=register("m-policy-b").label, reason="second", override_reason="test history"
    )
    under_b = [record(values, client=client, day=APRIL) for values in applications]

    request = SimulationRequest(MARCH, MARCH, model_label="m-policy-b", as_of=APRIL)
    report = simulate(request=request).to_dict()

    pairs = Counter(f"{a.decision}->{b.decision}" for a, b in zip(under_a, under_b, strict=True))
    assert report["records"] == 9
    assert report["after"] == {
        k: sum(r.decision == k for r in under_b) for k in ("APPROVE", "REVIEW", "REJECT")
    }
    assert {k: v for k, v in report["flips"].items() if v} == {
        k: v for k, v in pairs.items() if k.split("->")[0] != k.split("->")[1]
    }
    mean_b = [r.probability_of_default for r in under_b if r.decision == "APPROVE"]
    assert report["approved"]["after"]["mean_pd"] == (
        pytest.approx(sum(mean_b) / len(mean_b), rel=1e-12) if mean_b else None
    )


def test_a_candidate_model_over_records_of_both_models_decides_each_record_under_it(
    history: list[DecisionRecord],
) -> None:
    """Records of model b are decided along with their replay (the candidate keeps their
    model): their "after" is what was recorded; records of model a are decided under b
    separately, exactly as ``decide_outcomes`` decides their inputs with b."""
    report = simulate(request=SimulationRequest(FROM, TO, model_label="m-policy-b")).to_dict()
    model_b = version_model(ModelVersion.objects.get(label="m-policy-b"))
    expected = Counter(r.decision for r in history if r.model_label == "m-policy-b")
    flips: Counter[str] = Counter()
    for r in history:
        if r.model_label != "m-policy-a":
            continue
        rule_set = rule_set_policy(rule_set=RuleSet.objects.get(version=r.rule_set_version))
        values = crypto.decrypt_inputs(r.inputs_encrypted)
        (after,) = decide_outcomes(model_b, [values], rule_set=rule_set, on=MARCH).decision
        expected[after] += 1
        if after != r.decision:
            flips[f"{r.decision}->{after}"] += 1
    assert report["fidelity"]["mismatched"] == 0
    assert report["after"] == {k: expected[k] for k in ("APPROVE", "REVIEW", "REJECT")}
    assert {k: v for k, v in report["flips"].items() if v} == dict(flips)


def test_a_worker_process_decrypting_ahead_gives_the_same_report(
    history: list[DecisionRecord],
    monkeypatch: pytest.MonkeyPatch,
    decryption_workers: list[Any],
) -> None:
    """With a worker process decrypting chunk k + 1 while chunk k's groups are replayed
    (forced here on 24 records in chunks of 5), the report is the serial one."""
    request = SimulationRequest(FROM, TO, rule_set_id=lower_cap_draft().pk)
    serial = simulate(request=request).to_dict()
    monkeypatch.setattr(crypto, "PARALLEL_FROM", 1)
    monkeypatch.setattr(crypto, "DECRYPT_CHUNK", 5)
    assert simulate(request=request).to_dict() == serial
    assert len(decryption_workers) == 1
    assert decryption_workers[0] is not None
    assert serial["fidelity"]["reproduced"] == 24


def test_a_replay_that_differs_from_the_record_is_listed_at_its_first_differing_field(
    history: list[DecisionRecord],
) -> None:
    """Recorded columns changed after the fact (decision, PD, score, failed rules): each
    record is listed once, at the first field that differs in that order, with both
    values."""
    request = SimulationRequest(FROM, TO)
    rows = simulation_records(request=request)
    first: dict[str, Any] = {
        "decision": rows.decisions[0],
        "probability_of_default": rows.pds[1],
        "credit_score": rows.scores[2],
        "failed_rules": list(rows.failed_rules[3]),
    }
    pds = [rows.pds[0], rows.pds[1] + 0.5, *rows.pds[2:]]
    scores = [*rows.scores[:2], rows.scores[2] + 1, *rows.scores[3:]]
    pds[4], scores[4] = float("nan"), rows.scores[4] + 1  # the PD is compared first
    replayed = dataclasses.replace(
        rows,
        decisions=["NOT-" + rows.decisions[0], *rows.decisions[1:]],
        pds=pds,
        scores=scores,
        failed_rules=[*rows.failed_rules[:3], ["NOT_A_RULE"], *rows.failed_rules[4:]],
    )
    columns = simulation_columns(
        replayed,
        candidate=simulation_candidate(request=request),
        as_of=None,
        rule_sets=_stored_rule_sets(set(rows.rule_set_versions)),
        load_model=_version_model,
    )
    listed = {m.request_id: m for m in columns.mismatches}
    ids = [str(request_id) for request_id in rows.request_ids]
    assert set(listed) == set(ids[:5])
    assert [(listed[ids[0]].field, listed[ids[0]].replayed)] == [("decision", first["decision"])]
    assert listed[ids[0]].recorded == "NOT-" + first["decision"]
    assert (listed[ids[1]].field, listed[ids[1]].replayed) == (
        "probability_of_default",
        first["probability_of_default"],
    )
    assert (listed[ids[2]].field, listed[ids[2]].replayed) == (
        "credit_score",
        first["credit_score"],
    )
    assert (listed[ids[3]].field, listed[ids[3]].recorded, listed[ids[3]].replayed) == (
        "failed_rules",
        ["NOT_A_RULE"],
        first["failed_rules"],
    )
    assert listed[ids[4]].field == "probability_of_default"
    assert (type(listed[ids[1]].replayed), type(listed[ids[2]].replayed)) == (float, int)
