"""Decision records refer to the registry's ApiClient and ModelVersion (same tables)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0008_digest_indexes_without_like'),
        ('registry', '0001_take_over_tables'),
    ]

    operations = [
        # State only: the tables keep their names; no data moves.
        migrations.SeparateDatabaseAndState(
            state_operations=[
            migrations.AlterField(
                model_name='decisionrecord',
                name='client',
                field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.apiclient'),
            ),
            migrations.AlterField(
                model_name='decisionrecord',
                name='model_version',
                field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='decisions', to='registry.modelversion'),
            ),
            ],
            database_operations=[],
        ),
    ]
