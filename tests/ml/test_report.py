from __future__ import annotations

import base64
import dataclasses
from pathlib import Path

from credit_ml.report import PLOTS, write_report
from credit_ml.training import TrainingResult

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_the_report_writes_the_page_and_five_plots(trained: TrainingResult, tmp_path: Path) -> None:
    page = write_report(trained, tmp_path / "report", label="m-1")
    assert page == tmp_path / "report" / "index.html"
    assert sorted(p.name for p in page.parent.iterdir()) == [
        "calibration.png",
        "importance.png",
        "index.html",
        "ks.png",
        "roc.png",
        "score_distribution.png",
    ]
    for name in PLOTS:
        assert (page.parent / name).read_bytes().startswith(PNG_SIGNATURE)


def test_the_page_names_the_auc_and_the_settings(trained: TrainingResult, tmp_path: Path) -> None:
    text = write_report(trained, tmp_path, label="m-1").read_text(encoding="utf-8")
    assert f"<td>AUC</td><td>{trained.metrics['auc']:.4f}</td>" in text
    assert f"<td>Gini</td><td>{trained.metrics['gini']:.4f}</td>" in text
    assert "<td>Approve when PD below</td><td>0.0800</td>" in text
    assert "<td>Reject when PD from</td><td>0.2000</td>" in text
    assert "<h2>Cross-validation AUC per fold</h2>" in text
    assert text.count("<tr><td>1</td>") >= 1  # fold 1 and decile 1
    assert "Risk grades (PD upper bounds, exclusive)" in text


def test_the_page_embeds_the_plots_so_it_stands_alone(
    trained: TrainingResult, tmp_path: Path
) -> None:
    page = write_report(trained, tmp_path, label="m-1")
    text = page.read_text(encoding="utf-8")
    encoded = base64.b64encode((tmp_path / "roc.png").read_bytes()).decode("ascii")
    assert f'src="data:image/png;base64,{encoded}"' in text
    assert "http://" not in text
    assert "https://" not in text


def test_every_text_on_the_page_is_escaped(trained: TrainingResult, tmp_path: Path) -> None:
    hostile = dataclasses.replace(trained, importance={"<script>alert(1)</script>": 0.5})
    text = write_report(hostile, tmp_path, label='<img src=x onerror="y">').read_text(
        encoding="utf-8"
    )
    assert "<script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<img src=x" not in text
    assert "&lt;img src=x onerror=&quot;y&quot;&gt;" in text


def test_a_run_without_cross_validation_says_so(trained: TrainingResult, tmp_path: Path) -> None:
    metrics = {**trained.metrics, "cv_auc_mean": None, "cv_auc_std": None, "cv_auc_folds": []}
    text = write_report(
        dataclasses.replace(trained, metrics=metrics), tmp_path, label="m-1"
    ).read_text(encoding="utf-8")
    assert "<p>No cross-validation.</p>" in text
    assert "<td>CV AUC mean</td><td>n/a</td>" in text


def test_the_page_has_a_fairness_table_with_every_protected_group(
    trained: TrainingResult, tmp_path: Path
) -> None:
    text = write_report(trained, tmp_path, label="m-1").read_text(encoding="utf-8")
    assert "<h2>Fairness by protected group (holdout, thresholds only)</h2>" in text
    for attribute, groups in trained.fairness.items():
        for row in groups:
            assert f"<td>{attribute}</td><td>{row['group']}</td><td>{row['count']}</td>" in text
