"""Score a few synthetic applications with the demo's API key (``DEMO_KEY``).

So the demo opens with decisions in the audit trail: the compliance officer's list, search,
replay and exports, the credit officers' review queue (the REVIEW decisions' cases and two
objections to rejections) and the model manager's champion all have something to show.
``scripts/demo.sh`` seals them right after (``seal_audit``).

Usage: ``DEMO_KEY=... python scripts/demo_decisions.py [ROWS]`` (default 25).
"""

from __future__ import annotations

import math
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ROWS = 25
SEED = 2026


def _plain(value: Any) -> Any:
    """numpy scalars as Python values; NaN (a field left empty) as ``None``."""
    value = value.item() if hasattr(value, "item") else value
    return None if isinstance(value, float) and math.isnan(value) else value


def demo_applications(*, rows: int, seed: int) -> list[dict[str, Any]]:
    """``rows`` synthetic applications as a loan system sends them (empty fields left out)."""
    from credit_ml.schema import INDONESIAN_SCHEMA
    from credit_ml.synthetic import generate_applications

    frame = generate_applications(rows=rows, seed=seed)[list(INDONESIAN_SCHEMA.names)]
    records = frame.astype(object).to_dict("records")
    return [
        {name: _plain(value) for name, value in record.items() if _plain(value) is not None}
        for record in records
    ]


def demo_decisions_make(*, key: str, rows: int = ROWS, seed: int = SEED) -> Counter[str]:
    """Score ``rows`` applications as the loan system holding ``key``; decisions by kind."""
    from registry.models import ApiClient
    from scoring.services import actor_of, applications_score_batch

    client = ApiClient.objects.get_from_key(key)
    outcome = applications_score_batch(
        payload={"applications": demo_applications(rows=rows, seed=seed)},
        actor=actor_of(client=client, user=None),
        idempotency_key=None,
    )
    return Counter(str(item["decision"]) for item in outcome.body["results"] if "decision" in item)


def demo_objections_open(*, client_name: str, count: int = 2) -> int:
    """The applicants of the first ``count`` rejections object (UU PDP Art. 10), so the
    credit officers' queue has objections beside the REVIEW cases; returns how many."""
    from audit.models import DecisionRecord
    from review.services import objection_open

    rejected = DecisionRecord.objects.filter(client_name=client_name, decision="REJECT")
    rejected = rejected.filter(review_cases__isnull=True).order_by("created_at", "id")
    opened = 0
    for record in rejected[:count]:
        objection_open(record=record, actor=f"client:{client_name}", statement="Mohon ditinjau.")
        opened += 1
    return opened


def main() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kreditax.settings.base")
    django.setup()
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else ROWS
    made = demo_decisions_make(key=os.environ["DEMO_KEY"], rows=rows)
    mix = ", ".join(f"{count} {decision}" for decision, count in sorted(made.items()))
    print(f"Scored {sum(made.values())} demo applications: {mix}.")
    from registry.models import ApiClient

    client = ApiClient.objects.get_from_key(os.environ["DEMO_KEY"])
    objections = demo_objections_open(client_name=client.name)
    print(f"Review cases open: {made.get('REVIEW', 0)} REVIEW, {objections} objections.")


if __name__ == "__main__":
    main()
