"""Store the built-in rule sets as data: OJK fintech lending and a bank's own DSR limit.

The definitions are frozen here as they were when this migration was written; a new
regulation is a new rule-set version in a new migration, never an edit of this one.
"""

from typing import Any

from django.db import migrations

from credit_ml.policy import bank_rule_set, fintech_rule_set


def create(apps: Any, schema_editor: Any) -> None:
    RuleSet = apps.get_model("scoring", "RuleSet")
    for rule_set in (fintech_rule_set(), bank_rule_set(0.35)):
        RuleSet.objects.get_or_create(
            version=rule_set.version,
            defaults={"name": rule_set.name, "definition": rule_set.to_dict()},
        )


def drop(apps: Any, schema_editor: Any) -> None:
    apps.get_model("scoring", "RuleSet").objects.filter(
        version__in=[fintech_rule_set().version, bank_rule_set(0.35).version]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("scoring", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
