from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from registry.models import ModelAlias

pytestmark = pytest.mark.django_db


def test_the_data_migration_creates_champion_and_challenger_pointing_nowhere() -> None:
    assert dict(ModelAlias.objects.values_list("name", "version")) == {
        "champion": None,
        "challenger": None,
    }


def test_the_models_and_migrations_agree() -> None:
    call_command("makemigrations", "training", "--check", "--dry-run", stdout=StringIO())
