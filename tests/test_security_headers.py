"""Content-Security-Policy on the admin and docs pages; the docs behind sign-in on demand."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings

from scoring.api.security import POLICY


@pytest.mark.parametrize("url", ["/admin/login/", "/api/docs/", "/api/v1/health"])
def test_pages_carry_the_content_security_policy(url: str, db: None) -> None:
    response = Client().get(url)
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == POLICY


def test_the_docs_page_has_no_inline_script(db: None) -> None:
    html = Client().get("/api/docs/").content.decode()
    assert "<script>" not in html


@override_settings(KREDITAX_PUBLIC_API_DOCS=False)
@pytest.mark.parametrize("url", ["/api/schema/", "/api/docs/"])
def test_private_docs_send_anonymous_visitors_to_sign_in(url: str, db: None) -> None:
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    client = Client()
    client.force_login(User.objects.create_user("reader", password="x"))
    assert client.get(url).status_code == 200
