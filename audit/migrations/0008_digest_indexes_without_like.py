"""Equality-only indexes on the identity digests and the client: no LIKE indexes.

``db_index=True`` on a text column (and a foreign key to a text primary key) makes Django
create a second, ``varchar_pattern_ops`` index on PostgreSQL for LIKE queries. Digests and
client ids are only ever looked up by equality, so those four indexes were pure insert cost.
The model now declares the equality indexes in ``Meta.indexes`` (which create no LIKE index).

On PostgreSQL the existing equality indexes are renamed, not rebuilt, and the LIKE indexes
dropped: no table-long index build that would block the scoring inserts. Elsewhere (SQLite)
the equality indexes are dropped and created again under their new names.
"""

from typing import Any

import django.db.models.deletion
from django.db import migrations, models

TABLE = "audit_decisionrecord"
#: (field, column, index name given by db_index=True, name in Meta.indexes)
INDEXES = (
    (
        "application_ref_digest",
        "application_ref_digest",
        "audit_decisionrecord_application_ref_digest_29b40a8f",
        "audit_ref_digest",
    ),
    ("nik_digest", "nik_digest", "audit_decisionrecord_nik_digest_037ab41b", "audit_nik_digest"),
    (
        "phone_digest",
        "phone_digest",
        "audit_decisionrecord_phone_digest_4743a59a",
        "audit_phone_digest",
    ),
    ("client", "client_id", "audit_decisionrecord_client_id_df74d3a6", "audit_client_id"),
)


def _rename(apps: Any, schema_editor: Any, *, forwards: bool) -> None:
    model = apps.get_model("audit", "DecisionRecord")
    postgres = schema_editor.connection.vendor == "postgresql"
    quote = schema_editor.quote_name
    for field, column, implicit, declared in INDEXES:
        old, new = (implicit, declared) if forwards else (declared, implicit)
        if postgres and forwards:
            schema_editor.execute(f"DROP INDEX IF EXISTS {quote(implicit + '_like')}")
        schema_editor.rename_index(
            model,
            models.Index(fields=[field], name=old),
            models.Index(fields=[field], name=new),
        )
        if postgres and not forwards:
            schema_editor.execute(
                f"CREATE INDEX {quote(implicit + '_like')} ON {quote(TABLE)} "
                f"({quote(column)} varchar_pattern_ops)"
            )


def forwards(apps: Any, schema_editor: Any) -> None:
    _rename(apps, schema_editor, forwards=True)


def backwards(apps: Any, schema_editor: Any) -> None:
    _rename(apps, schema_editor, forwards=False)


class Migration(migrations.Migration):
    dependencies = [("audit", "0007_phone_digest_index")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="decisionrecord",
                    name="application_ref_digest",
                    field=models.CharField(blank=True, max_length=64),
                ),
                migrations.AlterField(
                    model_name="decisionrecord",
                    name="client",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="scoring.apiclient",
                    ),
                ),
                migrations.AlterField(
                    model_name="decisionrecord",
                    name="nik_digest",
                    field=models.CharField(blank=True, max_length=64),
                ),
                migrations.AlterField(
                    model_name="decisionrecord",
                    name="phone_digest",
                    field=models.CharField(blank=True, max_length=64),
                ),
                migrations.AddIndex(
                    model_name="decisionrecord",
                    index=models.Index(fields=["application_ref_digest"], name="audit_ref_digest"),
                ),
                migrations.AddIndex(
                    model_name="decisionrecord",
                    index=models.Index(fields=["nik_digest"], name="audit_nik_digest"),
                ),
                migrations.AddIndex(
                    model_name="decisionrecord",
                    index=models.Index(fields=["phone_digest"], name="audit_phone_digest"),
                ),
                migrations.AddIndex(
                    model_name="decisionrecord",
                    index=models.Index(fields=["client"], name="audit_client_id"),
                ),
            ],
            database_operations=[migrations.RunPython(forwards, backwards)],
        )
    ]
