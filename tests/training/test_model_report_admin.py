from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse

from credit_ml.training import TrainConfig
from registry.models import ModelVersion
from training.services import model_version_train

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
    response = client.get(_url(make_version("gone", artifact=False)))
    assert b"No model artifact directory at /nonexistent/gone." in response.content


def test_the_report_shows_the_decision_bands_and_the_missing_share_per_field(
    client: Client, ready_version: ModelVersion
) -> None:
    _staff(client, "view_modelversion")
    text = client.get(_url(ready_version)).content.decode()
    bands = ready_version.metrics["decision_bands"]
    assert "Approve when PD is below 0.0800, reject from 0.2000 (cut-offs as given)." in text
    approve = bands["bands"][0]
    assert (
        f"<tr><td>APPROVE</td><td>0.0000</td><td>0.0800</td><td>{approve['count']}</td>"
        f"<td>{approve['share']:.4f}</td><td>{approve['bad_rate']:.4f}</td></tr>"
    ) in text
    share = ready_version.metrics["missing_share"]["worst_collectibility_24m"]
    assert 0 < share < 1
    assert f"<tr><td>worst_collectibility_24m</td><td>{share:.4f}</td></tr>" in text
    html = (Path(ready_version.artifact_path) / "report" / "index.html").read_text()
    assert "<h2>Decisions on the holdout (thresholds only)</h2>" in html
    assert "<h2>Missing values per field (training data)</h2>" in html


def test_a_lender_file_with_missing_markers_trains_and_its_report_shows_the_gaps(
    client: Client, tmp_path: Path, tiny_config: TrainConfig, db: None
) -> None:
    """A public-credit-like file whose missing incomes read NA, N/A, NULL...: refused
    before ("numeric but holds text"), trained now with the cut-offs its spec asks for."""
    data, spec = _lender_file(tmp_path)
    version = model_version_train(data_path=data, config=tiny_config, spec_path=spec)
    assert version.status == ModelVersion.Status.READY
    assert version.metrics["missing_share"]["MonthlyIncome"] == pytest.approx(0.1)
    bands = version.metrics["decision_bands"]
    assert bands["target_rates"] == {"approve_rate": 0.5, "review_rate": 0.2}
    assert bands["approval_rate"] == pytest.approx(0.5, abs=0.02)
    _staff(client, "view_modelversion")
    text = client.get(_url(version)).content.decode()
    assert "<tr><td>MonthlyIncome</td><td>0.1000</td></tr>" in text
    assert "chosen on the holdout to approve 0.50 and review 0.20" in text


def _lender_file(tmp_path: Path) -> tuple[Path, Path]:
    """1,000 applications; every tenth income missing as one of the spec's default markers."""
    rng = np.random.default_rng(7)
    rows = 1000
    age = rng.integers(21, 75, rows)
    debt_ratio = rng.random(rows)
    income = rng.integers(1_500, 20_000, rows)
    risk = 1 / (1 + np.exp(-(-2.0 + 2.5 * debt_ratio - 0.02 * (age - 40) - income / 20_000)))
    markers = ["NA", "N/A", "NULL", "null", "NaN", ".", ""]
    income_text = [
        markers[i // 10 % len(markers)] if i % 10 == 0 else str(value)
        for i, value in enumerate(income)
    ]
    frame = pd.DataFrame(
        {
            "id": range(rows),
            "SeriousDlqin2yrs": (rng.random(rows) < risk).astype(int),
            "age": age,
            "DebtRatio": debt_ratio.round(4),
            "MonthlyIncome": income_text,
        }
    )
    data = tmp_path / "cs-training.csv"
    frame.to_csv(data, index=False)
    spec = tmp_path / "cs-training.yaml"
    spec.write_text(
        "name: cs-training\n"
        "target: {column: SeriousDlqin2yrs, default_values: [1]}\n"
        "features:\n"
        "  - {name: age, type: numeric}\n"
        "  - {name: DebtRatio, type: numeric, monotone: 1}\n"
        "  - {name: MonthlyIncome, type: numeric, missing: allowed}\n"
        "drop: [id]\n"
        "thresholds: {approve_rate: 0.5, review_rate: 0.2}\n"
    )
    return data, spec
