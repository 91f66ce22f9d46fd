"""What the review pages show, built from the case, its decision record and its events.

Everything shown of the applicant is what the audit record keeps (masked); notes are
decrypted for these pages only (credit officers and compliance users).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from audit.events import audit_events_of, final_decision
from credit_ml.charts import waterfall_svg
from credit_ml.formatting import format_number, format_percent, format_rupiah
from registry.selectors import model_version_schema
from review import selectors, services
from review.errors import CaseNotFound
from review.models import ReviewCase


def chrome(request: HttpRequest) -> dict[str, Any]:
    """What every review page's frame needs: the language switch's target."""
    return {
        "next_url": request.get_full_path(),
        "languages": [("id", "Bahasa Indonesia"), ("en", "English")],
    }


def time_left_text(case: ReviewCase) -> str:
    hours = selectors.time_left(case)
    whole = int(abs(hours) * 60)
    text = _("%(h)d h %(m)02d min") % {"h": whole // 60, "m": whole % 60}
    return text if hours >= 0 else _("overdue by %(t)s") % {"t": text}


@dataclass(frozen=True)
class QueueRow:
    case: ReviewCase
    time_left: str
    overdue: bool


def queue_rows(*, queue_filter: selectors.QueueFilter, lang: str) -> list[QueueRow]:
    cases = selectors.review_queue(queue_filter=queue_filter)[:200]
    return [QueueRow(c, time_left_text(c), selectors.time_left(c) < 0) for c in cases]


def _figure(value: float | None, kind: str, lang: str) -> str:
    """A rule's figure: a ratio as a percentage (repayment to income), else a number."""
    if value is None:
        return "-"
    if kind == services.COUNTEROFFER_RULE_KIND:
        return format_percent(value, lang=lang)
    return format_number(value, lang=lang)


def _counteroffer_lines(offer: dict[str, Any] | None, lang: str) -> list[str]:
    if not offer:
        return []
    lines = []
    if offer.get("max_amount"):
        lines.append(
            _("At most %(amount)s over the requested term")
            % {"amount": format_rupiah(offer["max_amount"], lang=lang)}
        )
    if offer.get("min_term_months"):
        lines.append(
            _("The requested amount over at least %(n)d months") % {"n": offer["min_term_months"]}
        )
    return lines


def case_context(*, case_id: int, user: Any, lang: str) -> dict[str, Any]:
    case = (
        ReviewCase.objects.select_related("decision", "assignee", "proposed_by")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise CaseNotFound(f"No review case {case_id}.")
    record = case.decision
    events = list(audit_events_of(record=record))
    schema = model_version_schema(version=record.model_version)
    blocking = services.blocking_rules(record, services.APPROVE)
    is_open = case.status in (ReviewCase.Status.OPEN, ReviewCase.Status.CLAIMED)
    holder_ok = case.status == ReviewCase.Status.OPEN or case.assignee_id == user.pk
    return {
        "case": case,
        "record": record,
        "time_left": time_left_text(case),
        "final": final_decision(record=record, events=events),
        "application": sorted(record.application_masked.items()),
        "reasons": [
            {"code": r["code"], "text": r[f"text_{lang}"], "value": r[f"value_{lang}"]}
            for r in record.reasons
        ],
        "rules": [
            {
                "code": r["code"],
                "state": r["state"],
                "actual": _figure(r["actual"], r["kind"], lang),
                "limit": _figure(r["limit"], r["kind"], lang),
                "message": r["message_id"] if lang == "id" else r["message_en"],
            }
            for r in record.policy
        ],
        "counteroffer": _counteroffer_lines(
            dict(record.counteroffer) if record.counteroffer else None, lang
        ),
        "waterfall": _waterfall(record.attributions, schema),
        "events": [selectors.event_dict(e, for_people=True) for e in events],
        "blocking": [
            {"code": r["code"], "message": r["message_id"] if lang == "id" else r["message_en"]}
            for r in blocking
        ],
        "can_claim": case.status == ReviewCase.Status.OPEN
        and user.has_perm("review.resolve_reviewcase"),
        "can_resolve": is_open and holder_ok and user.has_perm("review.resolve_reviewcase"),
        "can_approve": case.status == ReviewCase.Status.AWAITING_APPROVAL
        and case.proposed_by_id != user.pk
        and user.has_perm("review.approve_reviewcase"),
        "own_proposal": case.status == ReviewCase.Status.AWAITING_APPROVAL
        and case.proposed_by_id == user.pk,
        "decision_page": reverse("admin:audit_decisionrecord_change", args=[record.pk])
        if user.has_perm("audit.view_decisionrecord")
        else None,
    }


def _waterfall(attributions: Any, schema: Any) -> SafeString:
    # waterfall_svg escapes every text it draws (as on the admin's decision page).
    return mark_safe(waterfall_svg(attributions, schema=schema))  # noqa: S308


def opened_text(case: ReviewCase) -> str:
    return timezone.localtime(case.opened_at).strftime("%Y-%m-%d %H:%M")
