"""An alias change may clear the alias (``to_version`` null): a challenger promoted to
champion stops being challenger, and that is recorded too."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("registry", "0003_alias_change_changed_by_name"),
    ]

    operations = [
        migrations.AlterField(
            model_name="modelaliaschange",
            name="to_version",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="registry.modelversion",
            ),
        ),
    ]
