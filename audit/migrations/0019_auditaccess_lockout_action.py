"""The access log also records sign-in lockouts."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("audit", "0017_audit_event_triggers")]

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
                    ("LOCKOUT", "Lockout"),
                ],
                max_length=10,
            ),
        ),
    ]
