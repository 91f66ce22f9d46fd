"""Training on a lender's own data: the two real public data sets in ../shared/data.

The data are never copied into the repository; the tests skip when the folder is absent.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from credit_ml.schema import validate_record
from credit_ml.spec import DatasetSpec, load_spec, read_training_frame
from credit_ml.training import TrainConfig, cross_validated_aucs
from registry.models import ModelVersion
from registry.selectors import champion_schema, champion_version
from registry.services import model_version_load, model_version_promote
from training.services import model_version_train

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / ".." / "shared" / "data"
SPECS = REPO / "examples" / "specs"
DATASETS = {
    "german": (DATA / "german_credit" / "german_credit.csv", SPECS / "german_credit.yaml"),
    "taiwan": (DATA / "taiwan_default" / "UCI_Credit_Card.csv", SPECS / "taiwan_default.yaml"),
}

pytestmark = pytest.mark.skipif(
    not DATA.is_dir(), reason=f"the real data sets are not present at {DATA.resolve()}"
)

#: The README's parameters with fewer trees (and a larger step) on both sides, for speed.
CONFIG = TrainConfig(
    n_estimators=150,
    max_depth=4,
    learning_rate=0.1,
    subsample=0.8,
    colsample_bytree=0.8,
    min_child_weight=1.0,
    reg_lambda=1.0,
    folds=0,
    seed=42,
    n_threads=2,
)


def _bare_xgboost_aucs(
    frame: pd.DataFrame, spec: DatasetSpec, splits: list[tuple[np.ndarray, np.ndarray]]
) -> list[float]:
    """Plain XGBoost on one-hot features (protected columns left out, as in the spec)."""
    features = [c.name for c in spec.features]
    x = pd.get_dummies(frame[features], dtype=np.float32).to_numpy(dtype=np.float32)
    y = frame[spec.target].to_numpy()
    params = {k: v for k, v in CONFIG.xgb_params().items() if k != "monotone_constraints"}
    aucs = []
    for fit, val in splits:
        booster = xgb.train(
            params, xgb.DMatrix(x[fit], label=y[fit]), num_boost_round=CONFIG.n_estimators
        )
        aucs.append(float(roc_auc_score(y[val], booster.predict(xgb.DMatrix(x[val])))))
    return aucs


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(DATASETS))
def test_the_spec_pipeline_matches_bare_xgboost_on_the_same_five_folds(name: str) -> None:
    data_path, spec_path = DATASETS[name]
    spec = load_spec(spec_path)
    frame = read_training_frame(data_path, spec)
    y = frame[spec.target].to_numpy()
    splitter = StratifiedKFold(n_splits=5, shuffle=True, random_state=42)
    splits = list(splitter.split(np.zeros(y.size), y))

    ours = float(
        np.mean(cross_validated_aucs(frame, schema=spec.schema(), config=CONFIG, splits=splits))
    )
    bare = float(np.mean(_bare_xgboost_aucs(frame, spec, splits)))

    print(f"{name}: pipeline CV AUC {ours:.4f}, bare XGBoost {bare:.4f}")
    assert abs(ours - bare) <= 0.01, (ours, bare)
    assert 0.75 <= ours <= 0.81, ours


def test_the_taiwan_spec_keeps_sex_and_age_out_of_the_model() -> None:
    spec = load_spec(DATASETS["taiwan"][1])
    schema = spec.schema()
    assert schema.excluded_protected == ("SEX", "AGE")
    assert {"SEX", "AGE", "ID"}.isdisjoint(s.name for s in schema.model_fields)
    assert len(schema.model_fields) == 21


def _application(row: pd.Series, spec: DatasetSpec) -> dict[str, Any]:
    """One file row as a loan system would send it: numbers as numbers, codes as text."""
    out: dict[str, Any] = {}
    for column in (*spec.features, *spec.protected):
        value = row[column.name]
        out[column.name] = float(value) if column.kind == "numeric" else str(value)
    return out


@pytest.mark.django_db
def test_a_lender_spec_trains_and_promotes_and_scoring_uses_its_schema(
    artifact_dir: Path,
) -> None:
    data_path, spec_path = DATASETS["german"]
    tiny = TrainConfig(n_estimators=20, max_depth=3, learning_rate=0.3, folds=0, seed=1)
    version = model_version_train(data_path=data_path, config=tiny, spec_path=spec_path)
    assert version.status == ModelVersion.Status.READY
    assert version.dataset_spec == load_spec(spec_path).to_dict()
    manifest = json.loads((artifact_dir / version.label / "manifest.json").read_text())
    assert manifest["dataset_spec"] == version.dataset_spec
    assert manifest["schema_version"] == "german-credit-1"
    assert "age_in_years" not in manifest["column_groups"]

    model_version_promote(label=version.label, reason="lender data")
    assert champion_version() == version
    schema = champion_schema()
    assert schema.version == "german-credit-1"

    spec = load_spec(spec_path)
    frame = read_training_frame(data_path, spec)
    cleaned = validate_record(schema, _application(frame.iloc[0], spec))
    output = model_version_load(version=version).score_row(cleaned)
    assert 0.0 < output.probability_of_default < 1.0
    assert set(output.contributions) <= {c.name for c in spec.features}
