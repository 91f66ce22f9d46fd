"""A permission to replay a decision from the admin (granted by the roles' sync migration)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("audit", "0010_auditaccess_search_and_replay_actions")]

    operations = [
        migrations.AlterModelOptions(
            name="decisionrecord",
            options={
                "ordering": ["-created_at"],
                "permissions": [
                    ("export_decisionrecord", "Can export decision records as evidence"),
                    ("replay_decisionrecord", "Can replay a decision with its recorded inputs"),
                ],
            },
        ),
    ]
