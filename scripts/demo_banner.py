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
