"""``Outcome`` now belongs to the audit app (same table; see audit 0013)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0013_take_over_outcome"),
        ("training", "0007_move_model_registry_to_registry"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Outcome")],
            database_operations=[],
        ),
    ]
