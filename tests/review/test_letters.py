"""Decision letters: both languages, both formats, exact figures, the event that proves them."""

from __future__ import annotations

import hashlib
import io
import logging
from typing import Any

import pytest
from django.contrib.auth.models import User
from fpdf import FPDF  # noqa: F401 - the PDF library must be installed (requirements.txt)

from audit.crypto import decrypt_inputs
from audit.models import AuditEvent, DecisionRecord
from credit_ml.formatting import format_percent, format_rupiah
from registry.models import ApiClient
from review.letters import TEMPLATE_VERSION, objection_deadline
from review.services import case_approve, case_resolve, objection_open
from tests.review.conftest import OVER_CAP, Decide
from tests.scoring.support import VALID, keyed

NAME, ADDRESS = "Siti Nurhaliza Putri", "Jl. Melati No. 7, Kebayoran Baru"


def annuity(principal: float, annual_rate: float, months: int) -> float:
    rate = annual_rate / 12
    return principal * rate / (1 - (1 + rate) ** -months)


#: OVER_CAP: Rp 1,700,000 of existing installments plus the new loan's (Rp 50 million over
#: 24 months at 18 %), against an income of Rp 12 million.
TOTAL = round(OVER_CAP["existing_monthly_installments"] + annuity(50_000_000, 0.18, 24))


def letter_url(record_id: object) -> str:
    return f"/api/v1/decisions/{record_id}/letter"


def _figures(record: DecisionRecord, lang: str) -> tuple[str, str, str]:
    """The repayment-to-income figures of the OVER_CAP decision, as the letter must show them."""
    dsr = next(r for r in record.policy if r["code"] == "OJK_MAX_REPAYMENT_TO_INCOME")
    income = decrypt_inputs(record.inputs_encrypted)["monthly_income"]
    return (
        format_rupiah(round(dsr["actual"] * income), lang=lang),
        format_rupiah(income, lang=lang),
        format_percent(dsr["actual"], lang=lang),
    )


def test_the_html_letter_in_indonesian_has_the_rule_with_its_figures(
    decide: Decide, fintech_key: tuple[ApiClient, str]
) -> None:
    record = decide(OVER_CAP)
    response = keyed(fintech_key[1]).get(letter_url(record.request_id), {"lang": "id"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    html = response.content.decode()
    total, income, ratio = _figures(record, "id")
    assert (TOTAL, total, income) == (4_196_205, "Rp 4.196.205", "Rp 12.000.000")
    assert (
        f"Total cicilan per bulan {total} melebihi 30 % dari penghasilan {income} (rasio {ratio})."
        in html
    )
    assert "Pengajuan kredit Anda tidak dapat kami setujui." in html
    assert "Penawaran alternatif" in html
    deadline = objection_deadline(record)
    assert f"paling lambat {deadline.day} " in html
    assert "UU No. 27 Tahun 2022" in html
    assert "PT KreditaX Demo Finance" in html
    event = AuditEvent.objects.get(kind="LETTER_ISSUED")
    assert event.payload == {
        "sha256": hashlib.sha256(response.content).hexdigest(),
        "template_version": TEMPLATE_VERSION,
        "lang": "id",
        "format": "html",
        "addressed_to": "reference",
    }
    assert response["X-Letter-SHA256"] == event.payload["sha256"]


def test_the_pdf_letter_in_english_embeds_its_font_and_names_nobody_in_the_trail(
    decide: Decide, fintech_key: tuple[ApiClient, str], caplog: pytest.LogCaptureFixture
) -> None:
    from pypdf import PdfReader

    record = decide(OVER_CAP)
    caplog.set_level(logging.DEBUG)
    response = keyed(fintech_key[1]).post(
        letter_url(record.request_id) + "?lang=en&format=pdf",
        {"applicant_name": NAME, "applicant_address": ADDRESS},
        format="json",
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    total, income, _ratio = _figures(record, "en")
    assert total == "IDR 4,196,205"
    assert f"Total monthly installments of {total} exceed 30 % of the income of {income}" in text
    assert NAME in text
    page: Any = reader.pages[0]
    fonts = page["/Resources"]["/Font"]
    descriptor = next(iter(fonts.values())).get_object()["/DescendantFonts"][0].get_object()
    assert "/FontFile2" in descriptor["/FontDescriptor"]
    event = AuditEvent.objects.get(kind="LETTER_ISSUED")
    assert event.payload["addressed_to"] == "applicant"
    assert event.payload["sha256"] == hashlib.sha256(response.content).hexdigest()
    assert NAME not in str(event.payload)
    assert not event.secret_encrypted
    assert "Siti" not in caplog.text
    assert "Melati" not in caplog.text


def test_another_client_gets_404_and_a_bad_language_is_named(
    decide: Decide, fintech_key: tuple[ApiClient, str], bank_key: tuple[ApiClient, str]
) -> None:
    record = decide(OVER_CAP)
    assert keyed(bank_key[1]).get(letter_url(record.request_id)).status_code == 404
    bad = keyed(fintech_key[1]).get(letter_url(record.request_id), {"lang": "fr"})
    assert bad.status_code == 400
    assert list(bad.json()["error"]["fields"]) == ["lang"]
    assert AuditEvent.objects.filter(kind="LETTER_ISSUED").count() == 0


SENTENCES = {
    "id": "Total cicilan per bulan Rp 4.196.205 melebihi 30 % dari penghasilan Rp 12.000.000",
    "en": "Total monthly installments of IDR 4,196,205 exceed 30 % of the income of IDR 12,000,000",
}


@pytest.mark.parametrize("fmt", ["html", "pdf"])
@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_language_and_format_states_the_figures(
    decide: Decide, fintech_key: tuple[ApiClient, str], lang: str, fmt: str
) -> None:
    from pypdf import PdfReader

    record = decide(OVER_CAP)
    response = keyed(fintech_key[1]).get(
        letter_url(record.request_id), {"lang": lang, "format": fmt}
    )
    assert response.status_code == 200
    if fmt == "pdf":
        pages = PdfReader(io.BytesIO(response.content)).pages
        text = " ".join(" ".join(page.extract_text() for page in pages).split())
    else:
        text = response.content.decode()
    assert SENTENCES[lang] in text
    assert AuditEvent.objects.get(kind="LETTER_ISSUED").payload["lang"] == lang


def test_a_letter_after_an_override_gives_the_officers_reason(
    decide: Decide, fintech_key: tuple[ApiClient, str], ani: User, budi: User
) -> None:
    record = decide(VALID)
    case = objection_open(record=record, actor="client:los-fintech")
    case_resolve(case_id=case.pk, user=ani, decision="REJECT", reason_code="DATA_INCONSISTENT")
    case_approve(case_id=case.pk, user=budi, approve=True)
    html = keyed(fintech_key[1]).get(letter_url(record.request_id), {"lang": "en"}).content
    text = html.decode()
    assert "We cannot approve your credit application." in text
    assert '<ol class="reasons"><li>The application data is inconsistent.</li></ol>' in text
