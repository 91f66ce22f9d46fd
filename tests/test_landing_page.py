"""``/`` is a small server-rendered page: product and version, and where everything is."""

from __future__ import annotations

import tomllib
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent


class _Links(HTMLParser):
    """Every ``src`` and ``href`` of a page, and its text."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in {"src", "href"} and value]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def page(client: Any) -> tuple[Any, _Links]:
    response = client.get("/")
    links = _Links()
    links.feed(response.content.decode())
    return response, links


@pytest.mark.django_db
def test_the_landing_page_names_the_product_and_its_version(client: Any) -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    version = pyproject["project"]["version"]
    response, links = page(client)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert version == settings.KREDITAX_VERSION
    assert f"KreditaX {version}" in " ".join(" ".join(links.text).split())


@pytest.mark.django_db
def test_the_landing_page_links_the_docs_schema_admin_health_and_readiness(client: Any) -> None:
    _, links = page(client)
    assert [url for url in links.urls if not url.startswith("/static/")] == [
        "/api/docs/",
        "/api/schema/",
        "/admin/",
        "/api/v1/health",
        "/api/v1/ready",
    ]
    statuses = {url: client.get(url).status_code for url in links.urls}
    assert statuses == {
        "/static/kreditax/favicon.svg": 200,
        "/static/kreditax/landing.css": 200,
        "/api/docs/": 200,
        "/api/schema/": 200,
        "/admin/": 302,  # to the login page
        "/api/v1/health": 200,
        "/api/v1/ready": 503,  # no champion in this test
    }


@pytest.mark.django_db
def test_the_landing_page_and_its_stylesheet_load_nothing_from_elsewhere(client: Any) -> None:
    response, links = page(client)
    html = response.content.decode()
    assert all(url.startswith("/") and not url.startswith("//") for url in links.urls)
    assert "http://" not in html
    assert "https://" not in html
    css = b"".join(client.get("/static/kreditax/landing.css").streaming_content).decode()
    assert "url(" not in css
    assert "@import" not in css


@pytest.mark.django_db
def test_the_landing_page_only_answers_get_and_head(client: Any) -> None:
    assert client.head("/").status_code == 200
    assert client.post("/").status_code == 405
