from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import User

from registry.models import ModelVersion
from training.services import TrainingFailed
from training.tasks import train_model_task

pytestmark = pytest.mark.django_db

TINY = {"n_estimators": 10, "max_depth": 2, "folds": 0, "seed": 1}


def test_the_task_trains_a_version_for_the_user_and_returns_its_label(training_csv: Path) -> None:
    user = User.objects.create_user("data-scientist")
    result = train_model_task.delay(str(training_csv), "xgboost", TINY, user.pk)
    version = ModelVersion.objects.get()
    assert result.get() == version.label
    assert version.status == ModelVersion.Status.READY
    assert version.created_by == user


def test_the_task_raises_when_training_fails(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("age,monthly_income\n30,5000000\n")
    with pytest.raises(TrainingFailed):
        train_model_task.delay(str(bad), "xgboost", TINY, None)
    assert ModelVersion.objects.get().status == ModelVersion.Status.FAILED
