"""The roles: one definition (``registry.roles``), installed by the latest sync migration.

A new model fails ``test_every_model_is_granted_to_a_role_or_deliberately_ungranted`` until
someone decides who may see it; a change of the table fails
``test_the_latest_sync_migration_freezes_the_current_roles`` until a new sync migration
copies it.
"""

from __future__ import annotations

import importlib
from types import ModuleType

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.db.migrations.loader import MigrationLoader

from registry import roles

pytestmark = pytest.mark.django_db

DEFAULT_ACTIONS = ("add", "change", "delete", "view")


def latest_sync_migration() -> ModuleType:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    names = sorted(
        name for app, name in loader.disk_migrations if app == "audit" and "sync_roles" in name
    )
    return importlib.import_module(f"audit.migrations.{names[-1]}")


def granted(group: Group) -> set[str]:
    return {
        f"{app}.{codename}"
        for app, codename in group.permissions.values_list("content_type__app_label", "codename")
    }


def every_permission() -> set[str]:
    return {
        f"{app}.{codename}"
        for app, codename in Permission.objects.values_list("content_type__app_label", "codename")
    }


def models_granted_by_a_role() -> set[str]:
    """Models of which some role other than the Administrator holds a default permission."""
    labels = set()
    for name, codes in roles.ROLES.items():
        if name == roles.ADMINISTRATOR:
            continue
        for code in codes:
            app_label, codename = code.split(".")
            action, _, model = codename.partition("_")
            if action in DEFAULT_ACTIONS:
                labels.add(f"{app_label}.{model}")
    return labels


def test_the_latest_sync_migration_freezes_the_current_roles() -> None:
    migration = latest_sync_migration()
    assert migration.ROLES == roles.ROLES
    assert migration.ALL == roles.ALL


def test_each_group_holds_exactly_the_permissions_of_its_role() -> None:
    for name, codes in roles.ROLES.items():
        expected = every_permission() if roles.ALL in codes else set(codes)
        assert granted(Group.objects.get(name=name)) == expected, name
    assert set(Group.objects.values_list("name", flat=True)) == set(roles.ROLES)


def test_the_model_manager_may_open_start_and_cancel_training_runs() -> None:
    manager = granted(Group.objects.get(name=roles.MODEL_MANAGER))
    assert {
        "training.view_trainingrun",
        "training.add_trainingrun",
        "training.change_trainingrun",
        "audit.view_outcome",
    } <= manager


def test_every_model_is_granted_to_a_role_or_deliberately_ungranted() -> None:
    models = {model._meta.label_lower for model in apps.get_models()}
    granted_models = models_granted_by_a_role()
    assert models - granted_models - set(roles.UNGRANTED) == set()
    assert granted_models & set(roles.UNGRANTED) == set()
    assert set(roles.UNGRANTED) - models == set()
    assert granted_models - models == set()


def test_every_permission_a_role_names_exists() -> None:
    named = {code for codes in roles.ROLES.values() for code in codes if code != roles.ALL}
    assert named - every_permission() == set()


def test_the_sync_adds_what_a_group_lacks_and_removes_what_is_no_longer_listed() -> None:
    manager = Group.objects.get(name=roles.MODEL_MANAGER)
    officer = Group.objects.get(name=roles.CREDIT_OFFICER)
    manager.permissions.remove(Permission.objects.get(codename="view_trainingrun"))
    officer.permissions.add(Permission.objects.get(codename="view_auditaccess"))
    Group.objects.filter(name=roles.COMPLIANCE_OFFICER).delete()

    latest_sync_migration().sync_roles(apps, None)

    assert granted(manager) == set(roles.ROLES[roles.MODEL_MANAGER])
    assert granted(officer) == set(roles.ROLES[roles.CREDIT_OFFICER])
    compliance = Group.objects.get(name=roles.COMPLIANCE_OFFICER)
    assert granted(compliance) == set(roles.ROLES[roles.COMPLIANCE_OFFICER])


def test_the_sync_gives_the_administrator_every_permission() -> None:
    administrator = Group.objects.get(name=roles.ADMINISTRATOR)
    administrator.permissions.clear()

    latest_sync_migration().sync_roles(apps, None)

    assert granted(administrator) == every_permission()
    assert len(every_permission()) > 40
