"""A database made by the release before the registry app keeps working after ``migrate``.

The registry took over its tables from ``training`` and ``scoring`` without moving data: the
rows, the artifacts they point to, the API keys and the roles' grants must all still work.
"""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path
from typing import Any, cast

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from rest_framework_api_key.crypto import KeyGenerator, concatenate

from audit.models import Outcome
from credit_ml.artifacts import save_artifact
from credit_ml.policy import fintech_rule_set
from credit_ml.schema import INDONESIAN_SCHEMA
from credit_ml.synthetic import generate_applications
from credit_ml.training import TrainConfig, train_model
from registry import model_cache
from registry.models import ApiClient, ModelAlias, ModelAliasChange, ModelVersion, RuleSet
from scoring.examples import EXAMPLE_APPLICATION
from training.models import TrainingRun

PREVIOUS_RELEASE = [
    ("audit", "0008_digest_indexes_without_like"),
    ("scoring", "0002_builtin_rule_sets"),
    ("training", "0006_modelversion_data_path"),
]


def _migrate(targets: list[tuple[str, str]]) -> Any:
    """Migrate to ``targets`` and return the historical apps of that state."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


def _latest() -> list[tuple[str, str]]:
    leaves: list[tuple[str, str]] = MigrationExecutor(connection).loader.graph.leaf_nodes()
    return leaves


def _old_rows(old: Any, artifact: Path, sha256: str) -> dict[str, Any]:
    """What the previous release wrote: a rule set, a key, a champion, its history, a run."""
    rule_set = old.get_model("scoring", "RuleSet").objects.create(
        name="fintech", version="ojk-fintech-test", definition=fintech_rule_set().to_dict()
    )
    key, prefix, hashed = KeyGenerator().generate()
    old.get_model("scoring", "ApiClient").objects.create(
        id=concatenate(prefix, hashed),
        prefix=prefix,
        hashed_key=hashed,
        name="bank-lama",
        rule_set=rule_set,
    )
    version = old.get_model("training", "ModelVersion").objects.create(
        label="old-release-1",
        algorithm="xgboost",
        status="READY",
        artifact_path=str(artifact),
        artifact_sha256=sha256,
        data_fingerprint="f" * 64,
        ready_at=timezone.now(),
    )
    alias = old.get_model("training", "ModelAlias").objects.get(name="champion")
    alias.version = version
    alias.save()
    old.get_model("training", "ModelAliasChange").objects.create(
        alias="champion", to_version=version, reason="first ready version"
    )
    old.get_model("training", "TrainingRun").objects.create(
        status="SUCCEEDED",
        algorithm="xgboost",
        data_path="/data/a.csv",
        data_sha256="a" * 64,
        model_version=version,
    )
    old.get_model("training", "Outcome").objects.create(
        request_id=uuid.UUID(int=7), defaulted=True, observed_at=date(2026, 6, 30)
    )
    return {"key": key, "prefix": prefix}


@pytest.fixture
def artifact(tmp_path: Path) -> tuple[Path, str]:
    frame = generate_applications(rows=1500, seed=3)
    config = TrainConfig(n_estimators=8, max_depth=2, folds=0, seed=1)
    trained = train_model(frame, schema=INDONESIAN_SCHEMA, config=config)
    saved = save_artifact(trained, root=tmp_path, label="old-release-1", data_sha256="f" * 64)
    return saved.path, saved.sha256


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_rows_keys_artifacts_and_grants_of_the_previous_release_keep_working(
    artifact: tuple[Path, str], settings: Any
) -> None:
    settings.KREDITAX_CHAMPION_REFRESH_SECONDS = 0
    model_cache.clear()
    made = _old_rows(_migrate(PREVIOUS_RELEASE), *artifact)
    manager = User.objects.create_user("mm", password="pw", is_staff=True)
    manager.groups.add(Group.objects.get(name="Model Manager"))

    _migrate(_latest())

    version = ModelVersion.objects.get(label="old-release-1")
    assert ModelAlias.objects.get(name="champion").version == version
    assert ModelAliasChange.objects.get().to_version == version
    assert TrainingRun.objects.get().model_version == version
    client = cast(ApiClient, ApiClient.objects.get_from_key(made["key"]))
    assert (client.prefix, client.name, client.rule_set) == (
        made["prefix"],
        "bank-lama",
        RuleSet.objects.get(version="ojk-fintech-test"),
    )
    served = model_cache.champion()
    assert served.version == version
    assert 0 < served.model.score_row(EXAMPLE_APPLICATION).probability_of_default < 1
    manager = User.objects.get(username="mm")
    assert manager.has_perm("registry.view_modelversion")
    assert manager.has_perm("registry.change_modelalias")
    assert not manager.has_perm("training.view_modelversion")
    assert manager.has_perm("audit.view_outcome")
    assert manager.has_perm("audit.add_outcome")
    assert not manager.has_perm("training.view_outcome")
    assert list(Outcome.objects.values_list("request_id", "defaulted", "observed_at")) == [
        (uuid.UUID(int=7), True, date(2026, 6, 30))
    ]
    model_cache.clear()


def test_the_moved_models_keep_their_tables() -> None:
    moved = (ModelVersion, ApiClient, RuleSet, Outcome)
    tables = {model: model._meta.db_table for model in moved}
    assert tables == {
        Outcome: "training_outcome",
        ModelVersion: "training_modelversion",
        ApiClient: "scoring_apiclient",
        RuleSet: "scoring_ruleset",
    }
