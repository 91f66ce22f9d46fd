"""Rule-set definitions frozen in migrations stay what the code's functions write.

A stored rule-set version is never edited: a change of ``fintech_rule_set``,
``bank_rule_set`` (2026.1), ``fintech_rule_set_2`` or ``bank_rule_set_2`` (2026.2) after its
migration is a new version with a new migration, and this test says so by failing.
"""

from __future__ import annotations

import importlib

from credit_ml.policy import bank_rule_set, bank_rule_set_2, fintech_rule_set, fintech_rule_set_2

MIGRATION = importlib.import_module("registry.migrations.0005_rule_sets_with_unchecked_setting")


def test_the_2026_2_rule_sets_are_frozen_as_the_code_writes_them() -> None:
    assert [
        (fintech_rule_set().version, fintech_rule_set_2().to_dict()),
        (bank_rule_set(0.35).version, bank_rule_set_2(0.35).to_dict()),
    ] == MIGRATION.MOVES


def test_the_2026_1_rule_sets_are_frozen_as_the_code_writes_them() -> None:
    first = importlib.import_module("scoring.migrations.0002_builtin_rule_sets")
    assert [fintech_rule_set().to_dict(), bank_rule_set(0.35).to_dict()] == first.DEFINITIONS
