from __future__ import annotations

from typing import Any

import pytest

from credit_ml.reasons import (
    REASON_CATALOGUE,
    Direction,
    Reason,
    build_reasons,
    code_suffix,
)
from credit_ml.schema import (
    INDONESIAN_SCHEMA,
    ApplicationSchema,
    FieldKind,
    FieldSpec,
    Unit,
)

VALUES: dict[str, Any] = {
    "age": 24,
    "education": "SMA",
    "housing_type": "RENT",
    "province": None,
    "employment_status": "CONTRACT",
    "work_experience_years": 1.5,
    "monthly_income": 5_000_000.0,
    "existing_monthly_installments": 1_200_000.0,
    "total_existing_debt": 15_000_000.0,
    "loan_amount": 25_000_000.0,
    "loan_term_months": 24,
    "annual_interest_rate": 0.18,
    "loan_purpose": "VEHICLE",
    "credit_card_utilization": 0.85,
    "past_delinquencies": 2,
    "worst_collectibility_24m": 3,
    "active_lending_platforms": 2,
}
DERIVED: dict[str, float] = {
    "new_installment": 1_048_103.0,
    "dsr": 0.452,
    "loan_to_income": 25_000_000 / 60_000_000,
    "debt_to_income": 0.25,
    "disposable_income": 2_751_897.0,
}


def reasons(contributions: dict[str, float], decision: str, **kwargs: Any) -> tuple[Reason, ...]:
    return build_reasons(
        contributions,
        values=VALUES,
        derived=DERIVED,
        decision=decision,
        schema=kwargs.pop("schema", INDONESIAN_SCHEMA),
        **kwargs,
    )


# --------------------------------------------------------------------------------------
# The catalogue
# --------------------------------------------------------------------------------------

GROUPS = [spec.name for spec in INDONESIAN_SCHEMA.model_fields] + [
    d.name for d in INDONESIAN_SCHEMA.derived
]


@pytest.mark.parametrize("group", GROUPS)
def test_every_model_field_and_derived_feature_has_both_directions(group: str) -> None:
    assert (group, Direction.RAISES) in REASON_CATALOGUE
    assert (group, Direction.LOWERS) in REASON_CATALOGUE


def test_the_catalogue_covers_exactly_the_model_groups() -> None:
    assert {group for group, _ in REASON_CATALOGUE} == set(GROUPS)
    assert "gender" not in GROUPS
    assert "marital_status" not in GROUPS


def test_codes_are_unique_and_follow_the_monotone_naming_convention() -> None:
    monotone = {s.name: s.monotone for s in INDONESIAN_SCHEMA.model_fields}
    monotone |= {d.name: d.monotone for d in INDONESIAN_SCHEMA.derived}
    codes = [text.code for text in REASON_CATALOGUE.values()]
    assert len(codes) == len(set(codes))
    for (group, direction), text in REASON_CATALOGUE.items():
        assert text.code.endswith("_" + code_suffix(monotone[group], direction)), text.code


def test_catalogue_texts_name_a_factor_and_its_value_never_a_score() -> None:
    for text in REASON_CATALOGUE.values():
        for template in (text.template_id, text.template_en):
            assert "{value}" in template
            assert "score" not in template.lower()
            assert "skor" not in template.lower()


def test_known_codes_are_stable() -> None:
    assert REASON_CATALOGUE[("dsr", Direction.RAISES)].code == "DSR_HIGH"
    assert REASON_CATALOGUE[("dsr", Direction.LOWERS)].code == "DSR_LOW"
    assert REASON_CATALOGUE[("past_delinquencies", Direction.RAISES)].code == "DELINQUENCIES_HIGH"
    assert REASON_CATALOGUE[("monthly_income", Direction.RAISES)].code == "INCOME_LOW"
    assert REASON_CATALOGUE[("monthly_income", Direction.LOWERS)].code == "INCOME_HIGH"
    assert REASON_CATALOGUE[("housing_type", Direction.RAISES)].code == "HOUSING_ADVERSE"


# --------------------------------------------------------------------------------------
# Choosing and wording reasons
# --------------------------------------------------------------------------------------

MIXED = {
    "dsr": 0.9,
    "past_delinquencies": 0.7,
    "monthly_income": 0.4,
    "loan_term_months": 0.3,
    "housing_type": 0.2,
    "age": 0.1,
    "employment_status": -0.05,
    "credit_card_utilization": -0.6,
    "education": -0.3,
    "loan_amount": 0.0,
}


@pytest.mark.parametrize("decision", ["REJECT", "REVIEW"])
def test_reject_and_review_give_the_four_largest_risk_raising_groups(decision: str) -> None:
    chosen = reasons(MIXED, decision)
    assert [r.code for r in chosen] == [
        "DSR_HIGH",
        "DELINQUENCIES_HIGH",
        "INCOME_LOW",
        "LOAN_TERM_ADVERSE",
    ]
    assert [r.contribution for r in chosen] == [0.9, 0.7, 0.4, 0.3]


def test_approve_gives_the_groups_most_in_the_applicants_favour() -> None:
    chosen = reasons(MIXED, "APPROVE")
    assert [(r.code, r.contribution) for r in chosen] == [
        ("CARD_UTILISATION_LOW", -0.6),
        ("EDUCATION_FAVOURABLE", -0.3),
        ("EMPLOYMENT_FAVOURABLE", -0.05),
    ]
    assert chosen[0].text_en == "Credit card utilisation of 85 % lowered the risk"
    assert chosen[0].text_id == "Pemakaian limit kartu kredit 85 % menurunkan risiko"


def test_zero_contributions_are_never_reasons() -> None:
    chosen = reasons({"dsr": 0.0, "loan_amount": 0.0, "age": 0.2}, "REJECT")
    assert [r.field for r in chosen] == ["age"]
    assert reasons({"dsr": 0.0}, "APPROVE") == ()


def test_the_limit_can_be_lowered() -> None:
    assert [r.field for r in reasons(MIXED, "REJECT", limit=2)] == ["dsr", "past_delinquencies"]


def test_ties_are_broken_by_name_so_the_order_is_stable() -> None:
    chosen = reasons({"loan_term_months": 0.5, "age": 0.5}, "REJECT")
    assert [r.field for r in chosen] == ["age", "loan_term_months"]


def test_contributions_are_rounded_to_six_decimals() -> None:
    (reason,) = reasons({"dsr": 0.123456789}, "REJECT")
    assert reason.contribution == 0.123457


@pytest.mark.parametrize(
    ("group", "value_id", "value_en", "text_id", "text_en"),
    [
        (
            "dsr",
            "45,2 %",
            "45.2 %",
            "Rasio cicilan terhadap penghasilan 45,2 % menaikkan risiko",
            "Debt service ratio of 45.2 % raised the risk",
        ),
        (
            "monthly_income",
            "Rp 5.000.000",
            "IDR 5,000,000",
            "Penghasilan bulanan Rp 5.000.000 menaikkan risiko",
            "Monthly income of IDR 5,000,000 raised the risk",
        ),
        (
            "loan_term_months",
            "24 bulan",
            "24 months",
            "Tenor 24 bulan menaikkan risiko",
            "Loan term of 24 months raised the risk",
        ),
        (
            "housing_type",
            "Sewa/kontrak",
            "Rented",
            "Status tempat tinggal Sewa/kontrak menaikkan risiko",
            "Housing status (Rented) raised the risk",
        ),
        (
            "worst_collectibility_24m",
            "Kol 3 (Kurang Lancar)",
            "Kol 3 (Substandard)",
            "Kolektibilitas SLIK terburuk Kol 3 (Kurang Lancar) dalam 24 bulan terakhir "
            "menaikkan risiko",
            "A worst SLIK collectibility of Kol 3 (Substandard) in the last 24 months "
            "raised the risk",
        ),
        (
            "new_installment",
            "Rp 1.048.103",
            "IDR 1,048,103",
            "Cicilan pinjaman baru Rp 1.048.103 per bulan menaikkan risiko",
            "New loan installment of IDR 1,048,103 a month raised the risk",
        ),
        (
            "past_delinquencies",
            "2",
            "2",
            "Riwayat tunggakan sebanyak 2 kali menaikkan risiko",
            "Number of past delinquencies (2) raised the risk",
        ),
    ],
)
def test_reasons_quote_the_applicants_readable_value(
    group: str, value_id: str, value_en: str, text_id: str, text_en: str
) -> None:
    (reason,) = reasons({group: 0.5}, "REJECT")
    assert (reason.value_id, reason.value_en) == (value_id, value_en)
    assert (reason.text_id, reason.text_en) == (text_id, text_en)


def test_an_empty_optional_field_says_it_was_not_provided() -> None:
    (reason,) = reasons({"province": 0.2}, "REJECT")
    assert reason.code == "PROVINCE_MISSING"
    assert (reason.value_id, reason.value_en) == ("tidak diisi", "not provided")
    assert reason.text_id == "Provinsi tidak diisi, dan hal ini menaikkan risiko"
    assert reason.text_en == "Province was not provided, which raised the risk"


def test_a_reason_serialises_to_a_plain_dict() -> None:
    (reason,) = reasons({"dsr": 0.25}, "REJECT")
    assert reason.to_dict() == {
        "code": "DSR_HIGH",
        "field": "dsr",
        "value_id": "45,2 %",
        "value_en": "45.2 %",
        "contribution": 0.25,
        "text_id": "Rasio cicilan terhadap penghasilan 45,2 % menaikkan risiko",
        "text_en": "Debt service ratio of 45.2 % raised the risk",
    }


# --------------------------------------------------------------------------------------
# A lender's own schema and refused input
# --------------------------------------------------------------------------------------

LENDER_FIELD = FieldSpec(
    "months_at_address",
    FieldKind.NUMERIC,
    "Lama tinggal di alamat sekarang",
    "Time at current address",
    "int",
    Unit.MONTHS,
    0,
    600,
    monotone=-1,
)
LENDER_SCHEMA = ApplicationSchema(
    version="lender-x-1",
    fields=(*INDONESIAN_SCHEMA.fields, LENDER_FIELD),
    derived=INDONESIAN_SCHEMA.derived,
    excluded_protected=INDONESIAN_SCHEMA.excluded_protected,
)


def test_a_field_outside_the_catalogue_gets_a_generic_reason_from_its_labels() -> None:
    values = {**VALUES, "months_at_address": 7}
    contributions = {"months_at_address": 0.4, "dsr": -0.2}
    (raised,) = build_reasons(
        contributions, values=values, derived=DERIVED, decision="REJECT", schema=LENDER_SCHEMA
    )
    (lowered,) = build_reasons(
        contributions, values=values, derived=DERIVED, decision="APPROVE", schema=LENDER_SCHEMA
    )
    assert raised.code == "MONTHS_AT_ADDRESS_LOW"
    assert raised.text_id == "Lama tinggal di alamat sekarang (7 bulan) menaikkan risiko"
    assert raised.text_en == "Time at current address (7 months) raised the risk"
    assert lowered.code == "DSR_LOW"


@pytest.mark.parametrize("group", ["gender", "marital_status", "nik", "full_name"])
def test_protected_and_identity_fields_are_never_reasons(group: str) -> None:
    with pytest.raises(ValueError, match="not a model feature"):
        reasons({group: 0.5, "dsr": 0.4}, "REJECT")


def test_unknown_groups_decisions_and_non_finite_contributions_are_refused() -> None:
    with pytest.raises(ValueError, match="neither a field nor a derived feature"):
        reasons({"income_x": 0.5}, "REJECT")
    with pytest.raises(ValueError, match="Unknown decision"):
        reasons({"dsr": 0.5}, "DECLINE")
    with pytest.raises(ValueError, match="not a finite number"):
        reasons({"dsr": float("nan")}, "REJECT")
