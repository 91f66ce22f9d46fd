from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from registry.models import ModelVersion
from training.services import model_version_evaluate

pytestmark = pytest.mark.django_db


def test_evaluate_model_prints_the_metrics_as_json(
    ready_version: ModelVersion, holdout_csv: Path
) -> None:
    stdout = StringIO()
    call_command("evaluate_model", ready_version.label, data=holdout_csv, stdout=stdout)
    printed = json.loads(stdout.getvalue())
    assert printed == model_version_evaluate(label=ready_version.label, data_path=holdout_csv)
    assert {"auc", "gini", "ks", "brier", "log_loss"} <= printed.keys()


def test_evaluate_model_refuses_an_unknown_label(holdout_csv: Path) -> None:
    with pytest.raises(CommandError, match="No model version is labelled 'ghost'"):
        call_command("evaluate_model", "ghost", data=holdout_csv, stdout=StringIO())


def test_evaluate_model_refuses_a_tampered_artifact(
    ready_version: ModelVersion, holdout_csv: Path
) -> None:
    ready_version.artifact_sha256 = "0" * 64
    ready_version.save(update_fields=["artifact_sha256"])
    with pytest.raises(CommandError, match=ready_version.label):
        call_command("evaluate_model", ready_version.label, data=holdout_csv, stdout=StringIO())
