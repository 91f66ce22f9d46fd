"""Architecture contracts that CI enforces on every commit."""

from __future__ import annotations

import ast
import io
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent
INTERFACES = {"scoring", "training", "review", "monitoring", "policy", "portfolio"}
APPS = {"kreditax", "registry", "audit", *INTERFACES}
WEB_STACK = {"django", "rest_framework", "celery", *APPS}
#: What each app may import of the others: only the layers below it (README, "What is where").
MAY_IMPORT = {
    **{interface: {"audit", "registry"} for interface in INTERFACES},
    "audit": {"registry"},
    "registry": set(),
}


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


def _app_imports(app: str) -> dict[str, list[str]]:
    """Module path to the other apps it imports that its layer does not allow."""
    offenders = {}
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        bad = (_imported_top_levels(path) & APPS) - {app} - MAY_IMPORT[app]
        if bad:
            offenders[str(path.relative_to(ROOT))] = sorted(bad)
    return offenders


@pytest.mark.parametrize("app", sorted(MAY_IMPORT))
def test_each_app_imports_only_the_layers_below_it(app: str) -> None:
    assert _app_imports(app) == {}


def test_the_settings_import_no_app() -> None:
    imported = set().union(
        *(_imported_top_levels(p) for p in (ROOT / "kreditax" / "settings").rglob("*.py"))
    )
    assert imported & (APPS - {"kreditax"}) == set()
