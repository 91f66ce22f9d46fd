"""The queue and the case page, server-rendered (the browser tests drive the same pages)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from review.models import ReviewCase
from review.services import case_claim, objection_open
from tests.review.conftest import OVER_CAP, RISKY, Decide


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_queue_lists_open_cases_oldest_first_with_the_time_left(
    decide: Decide, ani: User
) -> None:
    decide(RISKY)
    decide(RISKY)
    older, newer = ReviewCase.objects.order_by("pk")
    ReviewCase.objects.filter(pk=newer.pk).update(opened_at=older.opened_at + timedelta(minutes=1))
    ReviewCase.objects.filter(pk=older.pk).update(
        deadline=timezone.now() + timedelta(hours=5, minutes=30, seconds=20)
    )
    page = signed_in(ani).get("/review/").content.decode()
    assert page.index(f"/review/cases/{older.pk}/") < page.index(f"/review/cases/{newer.pk}/")
    assert "5 h 30 min" in page


def test_the_queue_filters_by_kind(decide: Decide, ani: User) -> None:
    decide(RISKY)
    record = decide(OVER_CAP)
    objection = objection_open(record=record, actor="client:los-fintech")
    page = signed_in(ani).get("/review/", {"kind": "OBJECTION"}).content.decode()
    review = ReviewCase.objects.get(kind="REVIEW")
    assert f"/review/cases/{objection.pk}/" in page
    assert f"/review/cases/{review.pk}/" not in page


def test_the_case_page_says_which_hard_rule_blocks_an_approval(decide: Decide, ani: User) -> None:
    record = decide(OVER_CAP)
    case = objection_open(record=record, actor="client:los-fintech")
    page = signed_in(ani).get(f"/review/cases/{case.pk}/").content.decode()
    assert "OJK_MAX_REPAYMENT_TO_INCOME is an OJK rule in force and it failed" in page
    assert "<svg" in page
    assert record.model_label in page


def test_the_case_page_in_indonesian(decide: Decide, ani: User) -> None:
    decide(RISKY)
    case = ReviewCase.objects.get()
    client = signed_in(ani)
    switched = client.post(
        "/i18n/setlang/", {"language": "id", "next": f"/review/cases/{case.pk}/"}
    )
    assert switched.status_code == 302
    page = client.get(f"/review/cases/{case.pk}/").content.decode()
    assert "Ambil kasus ini" in page
    assert 'lang="id"' in page


def test_a_resolve_form_with_a_bad_reason_writes_nothing(decide: Decide, ani: User) -> None:
    decide(RISKY)
    case = ReviewCase.objects.get()
    response = signed_in(ani).post(
        f"/review/cases/{case.pk}/resolve/", {"decision": "REJECT", "reason_code": "NOPE"}
    )
    assert response.status_code == 400
    assert AuditEvent.objects.count() == 1


def test_the_queue_filters_by_grade_and_assignee(decide: Decide, ani: User) -> None:
    decide(RISKY)
    decide(RISKY)
    first, second = ReviewCase.objects.order_by("pk")
    case_claim(case_id=first.pk, user=ani)
    client = signed_in(ani)
    mine = client.get("/review/", {"assignee": "ani"}).content.decode()
    assert f"/review/cases/{first.pk}/" in mine
    assert f"/review/cases/{second.pk}/" not in mine
    nobody = client.get("/review/", {"assignee": "-"}).content.decode()
    assert f"/review/cases/{first.pk}/" not in nobody
    assert f"/review/cases/{second.pk}/" in nobody
    grade = first.decision.risk_grade
    other = next(g for g in "ABCDE" if g != grade)
    assert f"/review/cases/{first.pk}/" in client.get("/review/", {"grade": grade}).content.decode()
    assert "/review/cases/" not in client.get("/review/", {"grade": other}).content.decode()


def test_the_admin_home_leads_credit_officers_to_the_queue(ani: User) -> None:
    page = signed_in(ani).get("/admin/").content.decode()
    assert 'href="/review/"' in page
