"""The promotion rule: a candidate must be at least as good as the champion on the same rows."""

from __future__ import annotations

import shutil
from dataclasses import replace
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from credit_ml.datasets import read_dataset, write_dataset
from credit_ml.evaluation import binary_metrics
from credit_ml.schema import INDONESIAN_SCHEMA
from credit_ml.training import TrainConfig, holdout_rows
from registry.errors import PromotionRefused
from registry.models import ModelAliasChange, ModelVersion
from registry.selectors import champion_version
from registry.services import holdout_comparison, model_version_load, model_version_promote
from training.services import model_version_train

pytestmark = pytest.mark.django_db

STRONG = TrainConfig(n_estimators=15, max_depth=3, learning_rate=0.3, folds=0, seed=1)
WEAK = TrainConfig(n_estimators=1, max_depth=1, learning_rate=0.3, folds=0, seed=1)


@pytest.fixture
def strong(training_csv: Path) -> ModelVersion:
    """Trained first, so it claims the vacant champion alias."""
    return model_version_train(data_path=training_csv, config=STRONG)


@pytest.fixture
def weak(training_csv: Path, strong: ModelVersion) -> ModelVersion:
    return model_version_train(data_path=training_csv, config=WEAK)


def test_the_comparison_recomputes_the_candidates_holdout_from_its_file_and_seed(
    training_csv: Path, strong: ModelVersion, weak: ModelVersion
) -> None:
    assert weak.data_path == str(training_csv)
    comparison = holdout_comparison(candidate=weak, champion=strong)
    assert comparison.n == 600
    assert comparison.candidate_auc == pytest.approx(weak.metrics["auc"], abs=1e-6)
    assert comparison.candidate_auc < comparison.champion_auc
    assert comparison.source == "the holdout of applications.csv"


def test_a_worse_candidate_is_refused_naming_both_aucs_and_nothing_is_written(
    strong: ModelVersion, weak: ModelVersion
) -> None:
    comparison = holdout_comparison(candidate=weak, champion=strong)
    with pytest.raises(PromotionRefused) as refused:
        model_version_promote(label=weak.label, reason="try")
    message = str(refused.value)
    assert f"AUC {comparison.candidate_auc:.4f}" in message
    assert f"the champion {strong.label}'s AUC {comparison.champion_auc:.4f}" in message
    assert "on the same 600 rows" in message
    assert champion_version() == strong
    assert ModelAliasChange.objects.count() == 1  # the first claim only


def test_an_override_reason_promotes_a_worse_candidate_and_is_recorded(
    strong: ModelVersion, weak: ModelVersion
) -> None:
    model_version_promote(label=weak.label, override_reason="simpler model for the audit")
    assert champion_version() == weak
    change = ModelAliasChange.objects.order_by("-id").first()
    assert change is not None
    assert (change.from_version, change.to_version) == (strong, weak)
    assert change.reason == "override: simpler model for the audit"


def test_a_better_candidate_is_promoted_without_an_override(
    strong: ModelVersion, weak: ModelVersion
) -> None:
    model_version_promote(label=weak.label, override_reason="set up")
    model_version_promote(label=strong.label, reason="better AUC")
    assert champion_version() == strong
    assert ModelAliasChange.objects.order_by("-id").values_list("reason", flat=True)[0] == (
        "better AUC"
    )


def test_an_equally_good_candidate_is_promoted(training_csv: Path, strong: ModelVersion) -> None:
    twin = model_version_train(data_path=training_csv, config=STRONG)
    model_version_promote(label=twin.label)
    assert champion_version() == twin


def test_the_comparison_can_use_a_given_labelled_file(
    strong: ModelVersion, weak: ModelVersion, holdout_csv: Path
) -> None:
    comparison = holdout_comparison(candidate=weak, champion=strong, data_path=holdout_csv)
    assert comparison.n == 1000
    assert (comparison.source, comparison.warnings) == ("all rows of holdout.csv", ())
    with pytest.raises(
        PromotionRefused, match=r"on the same 1000 rows \(all rows of holdout.csv\)"
    ):
        model_version_promote(label=weak.label, data_path=holdout_csv)
    assert champion_version() == strong


def test_a_candidate_whose_training_file_changed_is_refused_and_nothing_is_written(
    tmp_path: Path, training_csv: Path, strong: ModelVersion
) -> None:
    copy = tmp_path / "copy.csv"
    shutil.copy(training_csv, copy)
    candidate = model_version_train(data_path=copy, config=WEAK)
    copy.write_text(copy.read_text() + "\n")
    with pytest.raises(PromotionRefused, match=r"training data of .* changed since training"):
        model_version_promote(label=candidate.label)
    assert champion_version() == strong
    assert ModelAliasChange.objects.count() == 1


def test_a_candidate_without_a_recorded_training_file_is_refused(
    strong: ModelVersion, weak: ModelVersion
) -> None:
    ModelVersion.objects.filter(pk=weak.pk).update(data_path="")
    weak.refresh_from_db()
    with pytest.raises(PromotionRefused, match=r"is not available \(not recorded\)"):
        model_version_promote(label=weak.label)
    assert ModelAliasChange.objects.count() == 1


def test_the_first_champion_needs_no_comparison(make_version: object) -> None:
    version = make_version("first")  # type: ignore[operator]
    model_version_promote(label="first")
    assert champion_version() == version


def test_promote_model_refuses_a_worse_candidate_and_accepts_an_override_reason(
    strong: ModelVersion, weak: ModelVersion
) -> None:
    with pytest.raises(CommandError, match="give an override reason"):
        call_command("promote_model", weak.label, stdout=StringIO())
    assert champion_version() == strong
    stdout = StringIO()
    call_command("promote_model", weak.label, "--override-reason", "regulator asked", stdout=stdout)
    assert stdout.getvalue() == f"{weak.label} is the champion.\n"
    assert ModelAliasChange.objects.order_by("-id")[0].reason == "override: regulator asked"


def test_rollback_is_not_subject_to_the_rule(strong: ModelVersion, weak: ModelVersion) -> None:
    model_version_promote(label=weak.label, override_reason="set up")
    model_version_promote(label=strong.label)
    call_command("rollback_model", weak.label, reason="incident", stdout=StringIO())
    assert champion_version() == weak


def test_the_admin_action_refuses_a_worse_candidate_with_the_aucs_and_writes_nothing(
    client: Client, strong: ModelVersion, weak: ModelVersion
) -> None:
    client.force_login(User.objects.create_superuser("admin", "admin@example.test", "pw"))
    response = client.post(
        reverse("admin:registry_modelversion_changelist"),
        {"action": "promote_to_champion", "_selected_action": [weak.pk]},
        follow=True,
    )
    messages = [str(message) for message in response.context["messages"]]
    assert len(messages) == 1
    assert messages[0].startswith(f"Model version {weak.label} has AUC ")
    assert champion_version() == strong
    assert ModelAliasChange.objects.count() == 1


def _override_url(version: ModelVersion) -> str:
    return reverse("admin:registry_modelversion_promote_override", args=[version.pk])


def test_the_admin_override_page_promotes_and_records_the_reason_and_the_user(
    client: Client, strong: ModelVersion, weak: ModelVersion
) -> None:
    admin_user = User.objects.create_superuser("admin", "admin@example.test", "pw")
    client.force_login(admin_user)
    response = client.post(_override_url(weak), {"override_reason": "  audit asked  "})
    assert response.status_code == 302
    assert champion_version() == weak
    change = ModelAliasChange.objects.order_by("-id")[0]
    assert (change.reason, change.changed_by) == ("override: audit asked", admin_user)


def test_the_admin_override_page_needs_a_reason_and_writes_nothing_without_one(
    client: Client, strong: ModelVersion, weak: ModelVersion
) -> None:
    client.force_login(User.objects.create_superuser("admin", "admin@example.test", "pw"))
    response = client.post(_override_url(weak), {"override_reason": "   "})
    assert response.status_code == 200
    assert response.context["form"].errors == {"override_reason": ["This field is required."]}
    assert champion_version() == strong
    assert ModelAliasChange.objects.count() == 1


def test_the_admin_override_page_is_refused_to_view_only_staff(
    client: Client, strong: ModelVersion, weak: ModelVersion
) -> None:
    from django.contrib.auth.models import Permission

    viewer = User.objects.create_user("auditor", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_modelversion"))
    client.force_login(viewer)
    assert client.post(_override_url(weak), {"override_reason": "x"}).status_code == 403
    assert champion_version() == strong
    assert ModelAliasChange.objects.count() == 1


# ---- rows neither version was trained on ------------------------------------------------


def _frame(path: Path) -> pd.DataFrame:
    return read_dataset(path)


def test_a_candidate_split_otherwise_from_the_champions_file_is_compared_on_rows_both_held_out(
    training_csv: Path, strong: ModelVersion
) -> None:
    """Same file, another seed: 80 % of the candidate's holdout trained the champion."""
    other_seed = model_version_train(data_path=training_csv, config=replace(STRONG, seed=2))
    frame = _frame(training_csv)
    ours = holdout_rows(frame, schema=INDONESIAN_SCHEMA, config=replace(STRONG, seed=2))
    theirs = holdout_rows(frame, schema=INDONESIAN_SCHEMA, config=STRONG)
    both = np.intersect1d(ours, theirs)

    comparison = holdout_comparison(candidate=other_seed, champion=strong)

    assert 0 < both.size < 600
    assert comparison.n == both.size
    assert comparison.source == (
        f"the holdout of applications.csv, without {600 - both.size} row(s) a version was "
        f"trained on ({both.size} of 600 left)"
    )
    assert comparison.warnings == ()
    y = frame["is_default"].to_numpy()[both]
    pds = model_version_load(version=strong).score_frame(frame.take(both))
    assert comparison.champion_auc == pytest.approx(binary_metrics(y, pds)["auc"])


def test_a_candidate_trained_on_a_file_containing_the_champions_rows_leaves_those_out(
    tmp_path: Path, training_csv: Path, db: None
) -> None:
    """Another fingerprint, overlapping rows: the champion's file is the first 2000 rows."""
    frame = _frame(training_csv)
    first = tmp_path / "first-2000.csv"
    write_dataset(frame.iloc[:2000], first)
    champion = model_version_train(data_path=first, config=STRONG)
    candidate = model_version_train(data_path=training_csv, config=STRONG)
    trained_champion = set(range(2000)) - set(
        holdout_rows(frame.iloc[:2000], schema=INDONESIAN_SCHEMA, config=STRONG).tolist()
    )
    held_out = holdout_rows(frame, schema=INDONESIAN_SCHEMA, config=STRONG)
    unseen = [p for p in held_out.tolist() if p not in trained_champion]

    comparison = holdout_comparison(candidate=candidate, champion=champion)

    assert champion.data_fingerprint != candidate.data_fingerprint
    assert 0 < len(unseen) < 600
    assert comparison.n == len(unseen)
    assert comparison.source.endswith(f"({len(unseen)} of 600 left)")


def test_rows_both_versions_trained_on_are_kept_with_a_warning_when_nothing_else_remains(
    tmp_path: Path, training_csv: Path, strong: ModelVersion, weak: ModelVersion
) -> None:
    frame = _frame(training_csv)
    held_out = holdout_rows(frame, schema=INDONESIAN_SCHEMA, config=STRONG)
    trained = tmp_path / "trained-rows.csv"
    write_dataset(frame.drop(index=frame.index[held_out]), trained)

    comparison = holdout_comparison(candidate=weak, champion=strong, data_path=trained)

    assert (comparison.n, comparison.source) == (2400, "all rows of trained-rows.csv")
    assert comparison.warnings == (
        f"{weak.label} was trained on 2400 of these 2400 rows and no rows with both defaults "
        "and goods remain without them: its AUC is flattered.",
        f"{strong.label} was trained on 2400 of these 2400 rows and no rows with both "
        "defaults and goods remain without them: its AUC is flattered.",
    )


def test_promote_model_prints_the_rows_both_aucs_and_why_the_overlap_could_not_be_checked(
    strong: ModelVersion, weak: ModelVersion
) -> None:
    model_version_promote(label=weak.label, override_reason="set up")
    ModelVersion.objects.filter(pk=weak.pk).update(data_path="")  # its file went away
    stdout = StringIO()
    call_command("promote_model", strong.label, "--reason", "better", stdout=stdout)
    comparison = holdout_comparison(candidate=strong, champion=ModelVersion.objects.get(pk=weak.pk))
    assert stdout.getvalue().splitlines() == [
        "compared on 600 rows: the holdout of applications.csv",
        f"  candidate AUC {comparison.candidate_auc:.4f}, "
        f"champion AUC {comparison.champion_auc:.4f}",
        f"warning: Cannot check whether {weak.label} was trained on some of these rows: its "
        "training file is not available unchanged.",
        f"{strong.label} is the champion.",
    ]
