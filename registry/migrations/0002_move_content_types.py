"""Content types (and so permissions, group grants and admin log entries) follow the models.

The models moved to ``registry`` in 0001 without touching their tables; here their content
types move too, so that the roles keep their grants (``registry.view_modelversion`` is the
row that was ``training.view_modelversion``). Where a registry content type exists already
(permissions created in between), its permissions absorb the old ones' grants.
"""

from typing import Any

from django.db import migrations

MOVED = {
    "training": ("modelversion", "modelalias", "modelaliaschange"),
    "scoring": ("ruleset", "apiclient"),
}


def _merge(apps: Any, old: Any, new: Any) -> None:
    """Move ``old``'s permissions, grants and log entries to ``new``, then drop ``old``."""
    Permission = apps.get_model("auth", "Permission")
    LogEntry = apps.get_model("admin", "LogEntry")
    for permission in Permission.objects.filter(content_type=old):
        twin = Permission.objects.filter(content_type=new, codename=permission.codename).first()
        if twin is None:
            permission.content_type = new
            permission.save(update_fields=["content_type"])
            continue
        for group in permission.group_set.all():
            group.permissions.add(twin)
        for user in permission.user_set.all():
            user.user_permissions.add(twin)
        permission.delete()
    LogEntry.objects.filter(content_type=old).update(content_type=new)
    old.delete()


def _move(apps: Any, source: str, target: str, models: tuple[str, ...]) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in models:
        old = ContentType.objects.filter(app_label=source, model=model).first()
        if old is None:
            continue
        new = ContentType.objects.filter(app_label=target, model=model).first()
        if new is None:
            old.app_label = target
            old.save(update_fields=["app_label"])
        else:
            _merge(apps, old, new)


def forwards(apps: Any, schema_editor: Any) -> None:
    for app_label, models in MOVED.items():
        _move(apps, app_label, "registry", models)


def backwards(apps: Any, schema_editor: Any) -> None:
    for app_label, models in MOVED.items():
        _move(apps, "registry", app_label, models)


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0001_take_over_tables"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("admin", "0003_logentry_add_action_flag_choices"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
