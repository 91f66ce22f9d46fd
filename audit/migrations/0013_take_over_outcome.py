"""Observed outcomes belong to the audit trail (the decisions they follow): the model moves
from ``training`` to ``audit`` with its table (state only, no data moves), so that every
interface app (training's comparisons, monitoring, policy simulation) may read them."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0012_sync_roles"),
        ("training", "0007_move_model_registry_to_registry"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Outcome",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("request_id", models.UUIDField(unique=True)),
                        ("defaulted", models.BooleanField()),
                        ("observed_at", models.DateField()),
                        ("imported_at", models.DateTimeField(auto_now_add=True)),
                    ],
                    options={
                        "db_table": "training_outcome",
                        "ordering": ["-observed_at", "-id"],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
