"""Store the lender's dataset spec on each model version."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ('training', '0002_create_aliases'),
    ]

    operations = [
        migrations.AddField(
            model_name='modelversion',
            name='dataset_spec',
            field=models.JSONField(blank=True, null=True),
        ),
    ]
