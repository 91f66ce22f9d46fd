"""API clients and rule sets now belong to the registry app (same tables)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0009_refer_to_registry"),
        ("registry", "0001_take_over_tables"),
        ('scoring', '0002_builtin_rule_sets'),
    ]

    operations = [
        # State only: the tables keep their names; no data moves.
        migrations.SeparateDatabaseAndState(
            state_operations=[
            migrations.DeleteModel(
                name='ApiClient',
            ),
            migrations.DeleteModel(
                name='RuleSet',
            ),
            ],
            database_operations=[],
        ),
    ]
