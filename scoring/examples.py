"""The example applicant shown in the API docs, printed by ``make demo`` and used by the tests.

A 36-year-old permanent employee in Jakarta with Rp 12 million a month, asking Rp 50
million over 24 months at 18 % a year: a DSR of 25 %, within the OJK cap of 2026. The NIK
is structurally valid (DKI Jakarta, a woman born 5 January 1990) and belongs to nobody.
"""

from __future__ import annotations

from typing import Any

EXAMPLE_APPLICATION: dict[str, Any] = {
    "application_id": "LOS-2026-000123",
    "full_name": "Siti Rahmawati",
    "nik": "3171054501900001",
    "phone": "081234567890",
    "email": "siti@example.co.id",
    "age": 36,
    "gender": "F",
    "marital_status": "MARRIED",
    "education": "S1",
    "housing_type": "RENT",
    "province": "DKI_JAKARTA",
    "employment_status": "PERMANENT",
    "work_experience_years": 8,
    "monthly_income": 12000000,
    "existing_monthly_installments": 500000,
    "total_existing_debt": 20000000,
    "loan_amount": 50000000,
    "loan_term_months": 24,
    "annual_interest_rate": 0.18,
    "loan_purpose": "HOME_RENOVATION",
    "credit_card_utilization": 0.35,
    "past_delinquencies": 0,
    "worst_collectibility_24m": 1,
    "active_lending_platforms": 1,
}

#: The same applicant with Rp 2.5 million of other installments a month: about 41 % of the
#: income goes to repayments, over the 30 % OJK cap in force from 2026, so a rule rejects it
#: whatever the model says, and the answer carries a counteroffer that meets the cap.
RULE_REJECTED_APPLICATION: dict[str, Any] = {
    **EXAMPLE_APPLICATION,
    "application_id": "LOS-2026-000124",
    "existing_monthly_installments": 2_500_000,
}
