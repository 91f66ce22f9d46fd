"""The outcome's content type (its permissions, group grants and admin log entries) follows
the model from ``training`` to ``audit`` (audit 0013), as the registry's did (registry 0002)."""

from typing import Any

from django.db import migrations


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
    _move(apps, "training", "audit", ("outcome",))


def backwards(apps: Any, schema_editor: Any) -> None:
    _move(apps, "audit", "training", ("outcome",))


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0013_take_over_outcome"),
        ("training", "0008_outcome_moves_to_audit"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("admin", "0003_logentry_add_action_flag_choices"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
