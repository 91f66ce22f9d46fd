"""Who changed an alias, as text: a command run without --user records the OS account.

A database default (""), so that the previous release's code keeps inserting rows during
a rolling deployment.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("registry", "0002_move_content_types"),
    ]

    operations = [
        migrations.AddField(
            model_name="modelaliaschange",
            name="changed_by_name",
            field=models.CharField(blank=True, db_default="", max_length=150),
        ),
    ]
