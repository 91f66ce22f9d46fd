"""Decision letters to the applicant (Bahasa Indonesia or English, HTML or PDF).

The letter says the final decision, at most four reasons as sentences with their figures,
the counteroffer, how and by when to object (UU PDP Art. 10), and who the lender is. The
applicant's name and address, when the loan system passes them, are used for that letter
only: never stored, never logged. What was sent is provable: the letter's SHA-256 and the
template version are recorded as an event on the decision's audit chain.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from audit.crypto import decrypt_inputs
from audit.events import (
    EFFECTIVE_KINDS,
    EventDraft,
    EventKind,
    audit_event_append,
    audit_events_of,
    final_decision,
)
from audit.models import AuditEvent, DecisionRecord
from credit_ml.formatting import format_date, format_percent, format_rupiah
from credit_ml.reasons import ReasonDict

#: Bumped whenever the wording or layout changes: recorded with every letter sent.
TEMPLATE_VERSION = "letter-2026.12.1"
FONT = Path(__file__).resolve().parent / "fonts" / "DejaVuSans.ttf"
FORMATS = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}
MAX_REASONS = 4
DSR_RULE_KIND = "max_dsr"

TEXT: dict[str, dict[str, str]] = {
    "title": {"id": "Pemberitahuan keputusan kredit", "en": "Notice of your credit decision"},
    "to_reference": {
        "id": "Kepada pemohon dengan nomor pengajuan {ref}",
        "en": "To the applicant of application {ref}",
    },
    "APPROVE": {
        "id": "Pengajuan kredit Anda disetujui.",
        "en": "Your credit application is approved.",
    },
    "REJECT": {
        "id": "Pengajuan kredit Anda tidak dapat kami setujui.",
        "en": "We cannot approve your credit application.",
    },
    "REVIEW": {
        "id": "Pengajuan kredit Anda sedang ditinjau oleh petugas kredit kami.",
        "en": "Your credit application is being reviewed by one of our credit officers.",
    },
    "APPROVE_COUNTEROFFER": {
        "id": "Pengajuan kredit Anda disetujui dengan penawaran alternatif di bawah ini.",
        "en": "Your credit application is approved with the alternative offer below.",
    },
    "reasons": {"id": "Alasan utama", "en": "The main reasons"},
    "counteroffer": {"id": "Penawaran alternatif", "en": "Alternative offer"},
    "max_amount": {
        "id": "Pinjaman paling banyak {amount} dengan tenor {term} bulan.",
        "en": "A loan of at most {amount} over {term} months.",
    },
    "min_term": {
        "id": "Pinjaman {amount} dengan tenor paling singkat {term} bulan.",
        "en": "A loan of {amount} over at least {term} months.",
    },
    "object_title": {"id": "Hak Anda untuk mengajukan keberatan", "en": "Your right to object"},
    "object": {
        "id": (
            "Keputusan ini dibuat dengan pemrosesan otomatis. Berdasarkan UU No. 27 Tahun 2022 "
            "tentang Pelindungan Data Pribadi (Pasal 10), Anda berhak mengajukan keberatan dan "
            "meminta peninjauan oleh petugas kami paling lambat {deadline}, melalui {contact} "
            "dengan menyebutkan nomor keputusan {request_id}. Kami menjawab dalam {hours} jam."
        ),
        "en": (
            "This decision was made by automated processing. Under Law No. 27 of 2022 on "
            "Personal Data Protection (Art. 10), you may object and ask for a review by one of "
            "our officers until {deadline}, through {contact}, quoting decision {request_id}. "
            "We answer within {hours} hours."
        ),
    },
    "dsr": {
        "id": (
            "Total cicilan per bulan {total} melebihi {cap} dari penghasilan {income} "
            "(rasio {ratio})."
        ),
        "en": (
            "Total monthly installments of {total} exceed {cap} of the income of {income} "
            "(ratio {ratio})."
        ),
    },
    "sincerely": {"id": "Hormat kami,", "en": "Yours sincerely,"},
    "footer": {
        "id": "Versi templat {version}. Nomor keputusan {request_id}.",
        "en": "Template version {version}. Decision {request_id}.",
    },
}


@dataclass(frozen=True)
class Applicant:
    """Who the letter is addressed to, passed by the loan system for this letter only."""

    name: str
    address: str = ""


@dataclass(frozen=True)
class Letter:
    content: bytes
    media_type: str
    sha256: str


def objection_deadline(record: DecisionRecord) -> date:
    """The last day an applicant may object (``KREDITAX_OBJECTION_WINDOW_DAYS`` after the
    decision, in the service's time zone)."""
    days = settings.KREDITAX_OBJECTION_WINDOW_DAYS
    return timezone.localtime(record.created_at).date() + timedelta(days=days)


def _dsr_sentence(record: DecisionRecord, rule: dict[str, Any], lang: str) -> str | None:
    """The repayment-to-income rule with its figures: total installments, cap, income."""
    income = decrypt_inputs(record.inputs_encrypted).get("monthly_income")
    if not income or rule["actual"] is None or rule["limit"] is None:
        return None
    return TEXT["dsr"][lang].format(
        total=format_rupiah(round(rule["actual"] * income), lang=lang),
        cap=format_percent(rule["limit"], lang=lang, decimals=0),
        income=format_rupiah(income, lang=lang),
        ratio=format_percent(rule["actual"], lang=lang),
    )


def reason_sentences(record: DecisionRecord, lang: str) -> list[str]:
    """At most four recorded reasons as sentences: a failed rule with its figures, then the
    model's factors (the recorded text, in ``lang``)."""
    rules = {rule["code"]: rule for rule in record.policy}
    sentences = []
    for reason in record.reasons[:MAX_REASONS]:
        rule = rules.get(reason["code"])
        sentence = None
        if rule is not None and rule["kind"] == DSR_RULE_KIND:
            sentence = _dsr_sentence(record, dict(rule), lang)
        if sentence is None and rule is not None:
            sentence = (rule["message_id"] if lang == "id" else rule["message_en"]) + "."
        sentences.append(sentence or _factor_sentence(reason, lang))
    return sentences


def _factor_sentence(reason: ReasonDict, lang: str) -> str:
    text = reason["text_id"] if lang == "id" else reason["text_en"]
    return text if text.endswith(".") else text + "."


def counteroffer_lines(record: DecisionRecord, lang: str) -> list[str]:
    offer = record.counteroffer
    if not offer:
        return []
    lines = []
    term = offer["requested_term_months"]
    if offer.get("max_amount"):
        amount = format_rupiah(offer["max_amount"] or 0, lang=lang)
        lines.append(TEXT["max_amount"][lang].format(amount=amount, term=term))
    if offer.get("min_term_months"):
        amount = format_rupiah(offer["requested_amount"], lang=lang)
        lines.append(TEXT["min_term"][lang].format(amount=amount, term=offer["min_term_months"]))
    return lines


def _officer_reason(events: list[AuditEvent], lang: str) -> str | None:
    """The reason code of the resolution in effect, as a sentence from the catalogue."""
    effective = [e for e in events if e.kind in EFFECTIVE_KINDS]
    if not effective:
        return None
    texts = settings.KREDITAX_REVIEW_REASON_CODES.get(effective[-1].payload["reason_code"])
    return f"{texts[1] if lang == 'id' else texts[0]}." if texts else None


def letter_reasons(record: DecisionRecord, events: list[AuditEvent], lang: str) -> list[str]:
    """The recorded reasons; when a credit officer changed the outcome, the officer's reason
    (the model's reasons argued for the other outcome)."""
    final = final_decision(record=record, events=events)
    officer = _officer_reason(events, lang)
    if final == "APPROVE":
        return []
    if officer and final != record.decision:
        return [officer]
    return reason_sentences(record, lang)


def letter_context(
    *, record: DecisionRecord, lang: str, applicant: Applicant | None
) -> dict[str, Any]:
    events = list(audit_events_of(record=record))
    final = final_decision(record=record, events=events)
    reference = str(record.application_masked.get("application_id") or record.request_id)
    return {
        "lang": lang,
        "lender": settings.KREDITAX_LENDER_NAME,
        "contact": settings.KREDITAX_LENDER_CONTACT,
        "date": format_date(timezone.localdate(), lang),
        "title": TEXT["title"][lang],
        "to_name": applicant.name if applicant else "",
        "to_address": applicant.address if applicant else "",
        "to_reference": TEXT["to_reference"][lang].format(ref=reference),
        "outcome": TEXT[final][lang],
        "reasons_title": TEXT["reasons"][lang],
        "reasons": letter_reasons(record, events, lang),
        "counteroffer_title": TEXT["counteroffer"][lang],
        "counteroffer": counteroffer_lines(record, lang)
        if final in ("REJECT", "APPROVE_COUNTEROFFER")
        else [],
        "object_title": TEXT["object_title"][lang],
        "object": TEXT["object"][lang].format(
            deadline=format_date(objection_deadline(record), lang),
            contact=settings.KREDITAX_LENDER_CONTACT,
            request_id=record.request_id,
            hours=settings.KREDITAX_REVIEW_DEADLINE_HOURS["OBJECTION"],
        ),
        "sincerely": TEXT["sincerely"][lang],
        "footer": TEXT["footer"][lang].format(
            version=TEMPLATE_VERSION, request_id=record.request_id
        ),
    }


def _html(context: dict[str, Any]) -> bytes:
    return render_to_string("review/letter.html", context).encode("utf-8")


def _pdf(context: dict[str, Any], *, now: datetime) -> bytes:
    from fpdf import FPDF  # imported here: only letters need it

    pdf = FPDF(format="A4")
    pdf.set_creation_date(now)
    pdf.set_title(context["title"])
    pdf.set_author(context["lender"])
    pdf.add_font("DejaVu", "", str(FONT))  # embedded (subset) in the file
    pdf.add_page()
    pdf.set_margins(20, 20, 20)

    def para(text: str, size: float = 11, gap: float = 2) -> None:
        pdf.set_font("DejaVu", size=size)
        pdf.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(gap)

    para(f"{context['lender']}\n{context['contact']}", 10)
    para(context["date"], 10, 6)
    para(
        "\n".join(x for x in (context["to_name"], context["to_address"]) if x)
        or context["to_reference"]
    )
    para(context["title"], 15, 4)
    para(context["outcome"])
    if context["reasons"]:
        para(context["reasons_title"], 12)
        para("\n".join(f"{i}. {r}" for i, r in enumerate(context["reasons"], 1)))
    if context["counteroffer"]:
        para(context["counteroffer_title"], 12)
        para("\n".join(f"- {line}" for line in context["counteroffer"]))
    para(context["object_title"], 12)
    para(context["object"], 11, 6)
    para(f"{context['sincerely']}\n{context['lender']}", 11, 10)
    para(context["footer"], 8)
    return bytes(pdf.output())


def decision_letter_issue(
    *, record: DecisionRecord, lang: str, fmt: str, actor: str, applicant: Applicant | None = None
) -> Letter:
    """Render the letter and record its SHA-256 and template version as an event (the
    content itself is not stored: it may hold the applicant's name and address)."""
    now = timezone.now()
    context = letter_context(record=record, lang=lang, applicant=applicant)
    content = _pdf(context, now=now) if fmt == "pdf" else _html(context)
    digest = hashlib.sha256(content).hexdigest()
    payload = {
        "sha256": digest,
        "template_version": TEMPLATE_VERSION,
        "lang": lang,
        "format": fmt,
        "addressed_to": "applicant" if applicant else "reference",
    }
    with transaction.atomic():
        audit_event_append(
            record=record, draft=EventDraft(EventKind.LETTER_ISSUED, actor, payload), now=now
        )
    return Letter(content=content, media_type=FORMATS[fmt], sha256=digest)
