"""The access log also records identity searches and replays."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("audit", "0009_refer_to_registry")]

    operations = [
        migrations.AlterField(
            model_name="auditaccess",
            name="action",
            field=models.CharField(
                choices=[
                    ("VIEW", "View"),
                    ("EXPORT", "Export"),
                    ("API_VIEW", "Api View"),
                    ("SEARCH", "Search"),
                    ("REPLAY", "Replay"),
                ],
                max_length=10,
            ),
        ),
    ]
