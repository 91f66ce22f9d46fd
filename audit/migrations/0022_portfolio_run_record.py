"""The audit record of a portfolio scoring run, append-only (PostgreSQL triggers as for the
other audit tables, with the trigger functions of 0005)."""

import django.db.models.deletion
from django.conf import settings
from typing import Any

from django.db import migrations, models


TABLE = "audit_portfoliorunrecord"


def install(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();",
        params=None,
    )
    schema_editor.execute(
        f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate();",
        params=None,
    )


def uninstall(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE};")
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE};")


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0019_auditaccess_lockout_action"),
        ("registry", "0005_rule_sets_with_unchecked_setting"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="PortfolioRunRecord",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("run_id", models.PositiveBigIntegerField(db_index=True)),
                ("status", models.CharField(max_length=10)),
                ("engine", models.CharField(max_length=10)),
                ("as_of", models.DateField()),
                ("input_path", models.TextField()),
                ("input_sha256", models.CharField(max_length=64)),
                ("output_path", models.TextField()),
                ("output_sha256", models.CharField(blank=True, max_length=64)),
                ("rows", models.PositiveBigIntegerField()),
                ("scored", models.PositiveBigIntegerField()),
                ("invalid", models.PositiveBigIntegerField()),
                ("started_at", models.DateTimeField(null=True)),
                ("finished_at", models.DateTimeField()),
                ("created_at", models.DateTimeField(db_index=True)),
                ("content_hash", models.CharField(max_length=64)),
                (
                    "model_version",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="registry.modelversion",
                    ),
                ),
                (
                    "rule_set",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="registry.ruleset",
                    ),
                ),
                (
                    "started_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.RunPython(install, uninstall),
    ]
