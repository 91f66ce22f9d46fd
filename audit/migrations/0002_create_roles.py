"""Create the role groups with their permissions (now defined in ``registry.roles``)."""

from typing import Any

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLE_PERMISSIONS = {
    "Compliance Officer": (
        "audit.view_decisionrecord",
        "audit.export_decisionrecord",
        "training.view_modelversion",
        "training.view_modelaliaschange",
        "scoring.view_ruleset",
    ),
    "Model Manager": (
        "training.view_modelversion",
        "training.add_modelversion",
        "training.change_modelversion",
        "training.view_modelalias",
        "training.change_modelalias",
        "training.view_modelaliaschange",
    ),
    "Credit Officer": ("audit.view_decisionrecord", "scoring.score_applications"),
    "Administrator": (),
}


def create_roles(apps: Any, schema_editor: Any) -> None:
    # Permissions are normally created after migrate; make sure they exist now, from the
    # historical models (the apps of this point in history, not of the current code).
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codes in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        if name == "Administrator":
            group.permissions.set(Permission.objects.all())
            continue
        wanted = [code.split(".", 1) for code in codes]
        perms = [
            Permission.objects.get(content_type__app_label=app, codename=codename)
            for app, codename in wanted
        ]
        group.permissions.set(perms)


def drop_roles(apps: Any, schema_editor: Any) -> None:
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_decision_record"),
        ("scoring", "0001_initial"),
        ("training", "0002_create_aliases"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, drop_roles)]
