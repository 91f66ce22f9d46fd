"""Architecture contracts that CI enforces on every commit."""

from __future__ import annotations

import ast
import io
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent
WEB_STACK = {"django", "rest_framework", "celery", "kreditax", "scoring", "audit", "training"}


def _imported_top_levels(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_the_ml_core_imports_nothing_from_the_web_stack() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imported_top_levels(path) & WEB_STACK)
        for path in sorted((ROOT / "credit_ml").rglob("*.py"))
        if _imported_top_levels(path) & WEB_STACK
    }
    assert offenders == {}


def test_the_contract_check_sees_a_forbidden_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from django.conf import settings\nimport celery.app\n", encoding="utf-8")
    assert _imported_top_levels(bad) & WEB_STACK == {"django", "celery"}


@pytest.mark.django_db
def test_every_model_change_has_a_migration() -> None:
    out = io.StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()
