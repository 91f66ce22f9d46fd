"""/api/v1/ready scores the champion's example application: loading alone is not enough."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from rest_framework.test import APIClient
from xgboost.core import XGBoostError

from credit_ml.scoring import ScoringModel
from credit_ml.training import TrainConfig
from registry.models import ModelVersion
from registry.selectors import champion_version
from training.services import model_version_train

pytestmark = pytest.mark.django_db


def test_a_champion_that_scores_its_example_is_ready(champion: ModelVersion) -> None:
    response = APIClient().get("/api/v1/ready")
    assert (response.status_code, response.json()) == (200, {"status": "ready"})


def test_a_champion_that_loads_but_cannot_score_makes_ready_503_naming_it(
    champion: ModelVersion, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A booster that fails at prediction: it loads and verifies, every request would 500."""

    def broken(self: ScoringModel, applications: Any) -> Any:
        raise XGBoostError("Check failed: learner_model_param_.num_feature")

    monkeypatch.setattr(ScoringModel, "score_rows", broken)
    response = APIClient().get("/api/v1/ready")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "problems": {
            "champion": f"the champion {champion.label} cannot score the example application "
            "of its schema"
        },
    }


def test_a_lender_spec_champion_is_ready_with_the_example_derived_from_its_spec(
    settings: Any, tmp_path: Path
) -> None:
    settings.KREDITAX_ARTIFACT_DIR = tmp_path / "models"
    data, spec = _lender_file(tmp_path)
    tiny = TrainConfig(n_estimators=10, max_depth=3, learning_rate=0.3, folds=0, seed=1)
    version = model_version_train(data_path=data, config=tiny, spec_path=spec)
    assert champion_version() == version
    response = APIClient().get("/api/v1/ready")
    assert (response.status_code, response.json()) == (200, {"status": "ready"})


def _lender_file(tmp_path: Path) -> tuple[Path, Path]:
    rng = np.random.default_rng(9)
    rows = 400
    frame = pd.DataFrame(
        {
            "loan_id": [f"L{i:05d}" for i in range(rows)],
            "bad": (rng.random(rows) < 0.3).astype(int),
            "tenure_months": rng.integers(1, 120, rows),
            "segment": rng.choice(["retail", "sme", "payroll"], rows),
            "grade": rng.choice(["A", "B", "C"], rows),
        }
    )
    data = tmp_path / "lender.csv"
    frame.to_csv(data, index=False)
    spec = tmp_path / "lender.yaml"
    spec.write_text(
        "name: lender\n"
        "target: {column: bad, default_values: [1]}\n"
        "features:\n"
        "  - {name: tenure_months, type: numeric, monotone: -1}\n"
        "  - {name: segment, type: categorical}\n"
        "  - {name: grade, type: ordinal, order: [A, B, C]}\n"
        "drop: [loan_id]\n"
    )
    return data, spec
