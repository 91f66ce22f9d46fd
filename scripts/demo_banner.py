"""Print what to try once the demo server is up (the key is printed once, here)."""

from __future__ import annotations

import json
import os
import sys

APPLICATION = {
    "application_id": "DEMO-0001",
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


def main() -> None:
    base = f"http://{os.environ['HOST']}:{os.environ['PORT']}"
    key = os.environ["DEMO_KEY"]
    with open(sys.argv[1], encoding="utf-8") as handle:
        users = handle.read().rstrip()
    body = json.dumps(APPLICATION)
    print(
        f"""
================================================================================
 KreditaX demo is starting on {base}

 Score an application (paste into another terminal):

   curl -s -X POST {base}/api/v1/predict \\
     -H "Authorization: Api-Key {key}" \\
     -H "Content-Type: application/json" \\
     -d '{body}' | python3 -m json.tool

 Also try:  {base}/api/docs/   (OpenAPI, interactive)
            {base}/api/v1/health   {base}/api/v1/models
            {base}/admin/   sign in as one of:
{users}

 The API key above is shown once; `make demo` again issues a new one.
 Stop the server with Ctrl-C.
================================================================================
""",
        flush=True,
    )


if __name__ == "__main__":
    main()
