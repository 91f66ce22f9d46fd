"""The review pages in a real browser (Playwright driving Debian's chromium).

A credit officer signs in, finds the oldest case and resolves it; an override waits for a
second officer, who approves it; the compliance officer sees the history on the decision
page. Every page is checked for horizontal scrolling at 1366 px and saved as a screenshot
in ``SCREENSHOTS`` (git-ignored; named in the README).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.auth.models import User
from django.db import connections

from review.models import ReviewCase
from review.services import objection_open
from tests.conftest import chromium_path
from tests.review.conftest import RISKY, Decide, officer
from tests.scoring.support import VALID

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "screenshots"
WIDTH, HEIGHT = 1366, 768

pytestmark = [
    pytest.mark.requires_chromium,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread; the test's own
    # database calls are ordinary synchronous calls all the same (the server has its thread).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium_path(), args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield launched
        launched.close()
        # Database calls made while Playwright's loop runs use a connection of their own
        # (asgiref's context-local storage): close it here, in that context.
        connections.close_all()


def sign_in(browser: Browser, base: str, username: str, next_url: str) -> Page:
    page = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}).new_page()
    page.goto(f"{base}/admin/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", f"pw-{username}")
    page.click("input[type=submit]")
    page.wait_for_load_state()
    return page


def shot(page: Page, name: str) -> None:
    """Save the page, and check that it fits the laptop screen's width."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name}: {overflow} px of horizontal scroll"


def test_an_officer_finds_the_oldest_case_and_resolves_it(
    flushable_audit: None, live_server: Any, decide: Decide, ani: User, browser: Browser
) -> None:
    decide(RISKY)
    decide(RISKY)
    oldest, _newer = ReviewCase.objects.order_by("pk")
    ReviewCase.objects.filter(pk=oldest.pk).update(opened_at=oldest.opened_at - timedelta(hours=3))
    page = sign_in(browser, live_server.url, "ani", "/review/")
    shot(page, "queue")
    page.click("table.cases tbody tr:first-child a")
    assert page.url.endswith(f"/review/cases/{oldest.pk}/")
    shot(page, "case")
    page.click("#claim")
    page.select_option("#id_decision", "REJECT")
    page.select_option("#id_reason_code", "INSUFFICIENT_CAPACITY")
    page.fill("#id_note", "Penghasilan tidak terverifikasi")
    page.click("#resolve")
    page.wait_for_load_state()
    assert page.inner_text("#case-status") == "Resolved"
    assert page.inner_text("#final-decision") == "REJECT"
    shot(page, "case-resolved")
    oldest.refresh_from_db()
    assert (oldest.status, oldest.final_decision, oldest.assignee_id) == (
        "RESOLVED",
        "REJECT",
        ani.pk,
    )


def test_an_override_waits_for_a_second_officer_and_compliance_sees_the_history(
    flushable_audit: None,
    live_server: Any,
    decide: Decide,
    ani: User,
    budi: User,
    browser: Browser,
) -> None:
    record = decide(VALID)
    case = objection_open(record=record, actor="client:los-fintech", statement="Mohon ditinjau")
    officer("citra", "Compliance Officer")
    first = sign_in(browser, live_server.url, "ani", f"/review/cases/{case.pk}/")
    first.click("#claim")
    first.select_option("#id_decision", "REJECT")
    first.select_option("#id_reason_code", "DATA_INCONSISTENT")
    first.click("#resolve")
    first.wait_for_load_state()
    assert first.inner_text("#case-status") == "Awaiting a second officer"
    assert first.is_visible("#waiting")
    assert first.inner_text("#final-decision") == "APPROVE"
    shot(first, "override-waiting")

    second = sign_in(browser, live_server.url, "budi", f"/review/cases/{case.pk}/")
    shot(second, "override-approve")
    second.select_option("#id_approve", "yes")
    second.click("#approve")
    second.wait_for_load_state()
    assert second.inner_text("#final-decision") == "REJECT"

    compliance = sign_in(
        browser, live_server.url, "citra", f"/admin/audit/decisionrecord/{record.pk}/change/"
    )
    history = compliance.content()
    for kind in ("CASE_OPENED", "CASE_CLAIMED", "RESOLUTION_PROPOSED", "RESOLUTION_APPROVED"):
        assert kind in history
    assert "Mohon ditinjau" in history
    shot(compliance, "decision-page-history")


def test_the_queue_in_indonesian_fits_the_screen(
    flushable_audit: None, live_server: Any, decide: Decide, ani: User, browser: Browser
) -> None:
    decide(RISKY)
    page = sign_in(browser, live_server.url, "ani", "/review/")
    page.select_option("#language", "id")
    page.click("form.lang button")
    page.wait_for_load_state()
    assert page.inner_text("h1") == "Antrean peninjauan"
    shot(page, "queue-id")
