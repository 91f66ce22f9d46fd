"""``manage.py create_api_key``: prints a key once, stores it hashed."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from registry.models import ApiClient, ModelVersion
from tests.scoring.support import VALID, keyed


def run(*args: str) -> str:
    out = StringIO()
    call_command("create_api_key", *args, stdout=out)
    return out.getvalue()


def test_the_printed_key_authenticates(champion: ModelVersion) -> None:
    output = run("los-alpha")
    key = output.strip().splitlines()[-1]
    client = ApiClient.objects.get()
    assert output.splitlines()[0] == (
        f"API client 'los-alpha' ({client.prefix}), rule set fintech-2026.2."
    )
    response = keyed(key).post("/api/v1/predict", VALID, format="json")
    assert response.status_code == 200
    assert response.json()["rule_set_version"] == "fintech-2026.2"


def test_quiet_prints_only_the_key(db: None) -> None:
    output = run("los-alpha", "--quiet")
    assert output.count("\n") == 1
    client = ApiClient.objects.get()
    assert output.startswith(f"{client.prefix}.")


def test_the_bank_rule_set_is_chosen_by_name(champion: ModelVersion) -> None:
    key = run("los-bank", "--rule-set", "bank", "--quiet").strip()
    assert ApiClient.objects.get().rule_set.version == "bank-2026.2-dsr35"
    response = keyed(key).post("/api/v1/predict", VALID, format="json")
    assert response.json()["rule_set_version"] == "bank-2026.2-dsr35"


def test_an_unknown_rule_set_is_a_command_error_and_creates_nothing(db: None) -> None:
    with pytest.raises(CommandError, match=re.escape("No rule set named 'insurance'.")):
        run("los-x", "--rule-set", "insurance")
    assert ApiClient.objects.count() == 0


@pytest.mark.parametrize("name", ["", "   ", "x" * 51])
def test_a_blank_or_over_long_name_is_a_command_error(name: str, db: None) -> None:
    with pytest.raises(CommandError, match=re.escape("The name must be 1 to 50 characters.")):
        run(name)
    assert ApiClient.objects.count() == 0


def test_expiry_is_set_in_days(db: None) -> None:
    run("los-temp", "--expires-in-days", "30", "--quiet")
    expiry = ApiClient.objects.get().expiry_date
    assert expiry is not None
    days = (expiry - timezone.now()).total_seconds() / 86400
    assert 29.99 < days <= 30


@pytest.mark.parametrize("days", ["0", "-1"])
def test_a_non_positive_expiry_is_a_command_error(days: str, db: None) -> None:
    with pytest.raises(CommandError, match="--expires-in-days must be at least 1"):
        run("los-temp", "--expires-in-days", days)
    assert ApiClient.objects.count() == 0


def test_the_stored_row_keeps_no_plain_key(db: None) -> None:
    key = run("los-alpha", "--quiet").strip()
    client = ApiClient.objects.get()
    assert client.hashed_key != key
    assert key.partition(".")[2] not in client.hashed_key
    assert client.prefix == key.partition(".")[0]
    assert client.is_valid(key)
