"""The model registry's models now belong to the registry app (same tables)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0009_refer_to_registry"),
        ('registry', '0001_take_over_tables'),
        ('training', '0006_modelversion_data_path'),
    ]

    operations = [
        # State only: the tables keep their names; no data moves.
        migrations.SeparateDatabaseAndState(
            state_operations=[
            migrations.RemoveField(
                model_name='modelaliaschange',
                name='changed_by',
            ),
            migrations.RemoveField(
                model_name='modelaliaschange',
                name='from_version',
            ),
            migrations.RemoveField(
                model_name='modelaliaschange',
                name='to_version',
            ),
            migrations.RemoveField(
                model_name='modelversion',
                name='created_by',
            ),
            migrations.AlterField(
                model_name='trainingrun',
                name='model_version',
                field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='training_runs', to='registry.modelversion'),
            ),
            migrations.DeleteModel(
                name='ModelAlias',
            ),
            migrations.DeleteModel(
                name='ModelAliasChange',
            ),
            migrations.DeleteModel(
                name='ModelVersion',
            ),
            ],
            database_operations=[],
        ),
    ]
