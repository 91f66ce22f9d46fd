from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse

from registry.models import ModelVersion

pytestmark = pytest.mark.django_db


def _staff(client: Client, *codenames: str) -> None:
    user = User.objects.create_user("staff", password="pw", is_staff=True)
    for codename in codenames:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    client.force_login(user)


def _url(version: ModelVersion) -> str:
    return reverse("admin:registry_modelversion_report", args=[version.pk])


def test_the_report_needs_the_view_permission(client: Client, ready_version: ModelVersion) -> None:
    _staff(client)
    assert client.get(_url(ready_version)).status_code == 403


def test_the_report_shows_metrics_plots_importance_data_fairness_and_libraries(
    client: Client, ready_version: ModelVersion
) -> None:
    _staff(client, "view_modelversion")
    response = client.get(_url(ready_version))
    assert response.status_code == 200
    report = response.context["report"]
    assert sorted(report.plots) == [
        "calibration.png",
        "importance.png",
        "ks.png",
        "roc.png",
        "score_distribution.png",
    ]
    text = response.content.decode()
    assert f"<th>AUC</th><td>{ready_version.metrics['auc']:.4f}</td>" in text
    assert text.count('src="data:image/png;base64,') == 5
    assert f"<code>{ready_version.data_fingerprint}</code>" in text
    assert "<td>xgboost</td>" in text
    assert [row["attribute"] for row in report.fairness_rows].count("gender") == 2
    assert "<td>gender</td><td>F</td>" in text
    assert ready_version.metrics["fairness"].keys() == {"age", "gender", "marital_status"}
    first_field = next(iter(report.manifest.importance))
    assert f"<tr><td>{first_field}</td>" in text


def test_the_report_of_a_failed_version_says_why(
    client: Client, make_version: Callable[..., ModelVersion]
) -> None:
    _staff(client, "view_modelversion")
    failed = make_version("broken", status=ModelVersion.Status.FAILED)
    response = client.get(_url(failed))
    assert response.status_code == 200
    assert "report" not in response.context
    assert b'<p class="errornote" id="problem">Model version broken is FAILED.</p>' in (
        response.content
    )


def test_a_missing_artifact_is_named_on_the_report(
    client: Client, make_version: Callable[..., ModelVersion]
) -> None:
    _staff(client, "view_modelversion")
    response = client.get(_url(make_version("gone")))
    assert b"No model artifact directory at /nonexistent/gone." in response.content
