"""Compliance officers and administrators may view checkpoints and the access log."""

from typing import Any

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "Compliance Officer": ("view_auditcheckpoint", "view_auditaccess"),
    "Administrator": (
        "view_auditcheckpoint",
        "view_auditaccess",
        "add_auditcheckpoint",
        "change_auditcheckpoint",
        "delete_auditcheckpoint",
        "add_auditaccess",
        "change_auditaccess",
        "delete_auditaccess",
    ),
}


def grant(apps: Any, schema_editor: Any) -> None:
    audit = apps.get_app_config("audit")
    audit.models_module = True
    create_permissions(audit, verbosity=0, apps=apps)
    audit.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group = Group.objects.filter(name=name).first()
        if group is None:
            continue
        perms = Permission.objects.filter(
            content_type__app_label="audit", codename__in=codenames
        )
        group.permissions.add(*perms)


def revoke(apps: Any, schema_editor: Any) -> None:
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group = Group.objects.filter(name=name).first()
        if group is not None:
            group.permissions.remove(
                *Permission.objects.filter(content_type__app_label="audit", codename__in=codenames)
            )


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_append_only_triggers")]

    operations = [migrations.RunPython(grant, revoke)]
