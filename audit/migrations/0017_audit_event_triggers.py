"""PostgreSQL triggers that refuse UPDATE, DELETE and TRUNCATE on the audit events and their
checkpoints (the functions are those of 0005; SQLite keeps the model-level refusal)."""

from typing import Any

from django.db import migrations

TABLES = ("audit_auditevent", "audit_auditeventcheckpoint")

CREATE_TRIGGERS = """
CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate();
"""

DROP_TRIGGERS = """
DROP TRIGGER IF EXISTS {table}_append_only ON {table};
DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};
"""


def install(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(CREATE_TRIGGERS.format(table=table), params=None)


def uninstall(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(DROP_TRIGGERS.format(table=table), params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0016_audit_events")]

    operations = [migrations.RunPython(install, uninstall)]
