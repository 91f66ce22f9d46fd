"""Print what to try once the demo server is up (the key is printed once, here)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scoring.examples import EXAMPLE_APPLICATION, RULE_REJECTED_APPLICATION


def main() -> None:
    base = f"http://{os.environ['HOST']}:{os.environ['PORT']}"
    key = os.environ["DEMO_KEY"]
    with open(sys.argv[1], encoding="utf-8") as handle:
        users = handle.read().rstrip()
    body = json.dumps(EXAMPLE_APPLICATION)
    rejected = json.dumps(RULE_REJECTED_APPLICATION)
    print(
        f"""
================================================================================
 KreditaX demo is starting on {base}

 Score an application (paste into another terminal):

   curl -s -X POST {base}/api/v1/predict \\
     -H "Authorization: Api-Key {key}" \\
     -H "Content-Type: application/json" \\
     -d '{body}' | python3 -m json.tool

 The same applicant with more debt, rejected by the OJK repayment-to-income cap (see
 "policy", the reasons and the "counteroffer"):

   curl -s -X POST {base}/api/v1/predict \\
     -H "Authorization: Api-Key {key}" \\
     -H "Content-Type: application/json" \\
     -d '{rejected}' | python3 -m json.tool

 Credit officers work in the review queue: {base}/review/ (sign in as officer;
 an override waits for officer2). A decision's status and history, an objection and the
 letter to the applicant (replace REQUEST_ID with a decision's "request_id"):

   curl -s {base}/api/v1/decisions/REQUEST_ID -H "Authorization: Api-Key {key}"
   curl -s -X POST {base}/api/v1/decisions/REQUEST_ID/objections \
     -H "Authorization: Api-Key {key}" -H "Content-Type: application/json" -d '{{}}'
   curl -s -o letter.pdf "{base}/api/v1/decisions/REQUEST_ID/letter?lang=id&format=pdf" \
     -H "Authorization: Api-Key {key}"

 Also try:  {base}/api/docs/   (OpenAPI, interactive, served offline)
            {base}/api/v1/health   {base}/api/v1/models

 Sign in to {base}/admin/ as one of (each role sees its own work):
{users}

 The demo's decisions are sealed into a checkpoint; no beat runs here, so seal new ones
 with `python manage.py seal_audit` (then `verify_audit` checks the chain).
 The API key above is shown once; `make demo` again issues a new one.
 Stop the server with Ctrl-C.
================================================================================
""",
        flush=True,
    )


if __name__ == "__main__":
    main()
