"""The OpenAPI schema validates without warnings and the interactive docs render."""

from __future__ import annotations

from html.parser import HTMLParser
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from credit_ml.schema import INDONESIAN_SCHEMA


@pytest.mark.django_db
def test_the_schema_is_served() -> None:
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert {"/api/v1/predict", "/api/v1/explain", "/api/v1/predict/batch"} <= set(schema["paths"])
    assert schema["components"]["securitySchemes"]["ApiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "Send `Authorization: Api-Key <key>`.",
    }
    application = schema["components"]["schemas"]["Application"]["properties"]
    assert application["loan_amount"]["minimum"] == 100000
    assert application["loan_amount"]["maximum"] == 2000000000


@pytest.mark.django_db
def test_the_schema_validates_with_no_warnings() -> None:
    out = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out, stderr=StringIO())
    assert out.getvalue().startswith("openapi: 3")


@pytest.mark.django_db
def test_the_docs_page_renders() -> None:
    response = APIClient().get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger-ui" in response.content


class _Links(HTMLParser):
    """Every ``src`` and ``href`` of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in {"src", "href"} and value]


@pytest.mark.django_db
def test_the_docs_page_loads_only_our_own_static_files(client: Any) -> None:
    html = client.get("/api/docs/").content.decode()
    links = _Links()
    links.feed(html)
    assert sorted(links.urls) == [
        "/api/docs/?script=",  # the init script, a file rather than inline (the CSP)
        "/static/drf_spectacular_sidecar/swagger-ui-dist/favicon-32x32.png",
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-standalone-preset.js",
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css",
    ]
    assert "http://" not in html
    assert "https://" not in html
    script = client.get("/api/docs/?script=").content.decode()
    assert '"validatorUrl": null' in script  # the schema is never sent to swagger.io
    assert "http://" not in script
    assert "https://" not in script
    for url in links.urls:
        if url.startswith("/api/"):
            continue
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"".join(response.streaming_content), url


def test_without_a_lender_champion_the_document_shows_the_built_in_fields(
    db: None, client: Any
) -> None:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")

    application = response.json()["components"]["schemas"]["Application"]
    assert set(application["properties"]) == set(INDONESIAN_SCHEMA.names)
    assert application["properties"]["education"]["enum"] == list(
        INDONESIAN_SCHEMA.field("education").choices
    )
    assert application["properties"]["monthly_income"]["minimum"] == 1
