"""Create the ``champion`` and ``challenger`` alias rows, pointing at no version yet.

Promotion locks the existing row (``select_for_update``) instead of inserting one, so there
is exactly one champion by construction and concurrent promotions serialise on that lock.
"""

from django.db import migrations

ALIASES = ("champion", "challenger")


def create_aliases(apps, schema_editor):
    ModelAlias = apps.get_model("training", "ModelAlias")
    for name in ALIASES:
        ModelAlias.objects.get_or_create(name=name, defaults={"version": None})


def delete_aliases(apps, schema_editor):
    ModelAlias = apps.get_model("training", "ModelAlias")
    ModelAlias.objects.filter(name__in=ALIASES, version__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("training", "0001_initial")]

    operations = [migrations.RunPython(create_aliases, delete_aliases)]
