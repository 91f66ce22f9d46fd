"""The built-in rule sets that say what a rule not checked leads to, and the API clients
moved onto them.

``fintech-2026.2`` sends a decision to REVIEW when a rule in force could not be checked
(no ``active_lending_platforms``, say); ``bank-2026.2-dsr35`` lets it pass. They also
carry the longest term a counteroffer may propose (``max_term_months``: 24 and 360). The
2026.1 versions stay stored unchanged (no such keys: not checked keeps counting as it did,
counteroffer terms run to the schema maximum), so the decisions made under them replay
identically.
"""

from typing import Any

from django.db import migrations

from credit_ml.policy import bank_rule_set, bank_rule_set_2, fintech_rule_set, fintech_rule_set_2

#: (old version, new rule set) of each built-in rule set.
MOVES = (
    (fintech_rule_set().version, fintech_rule_set_2()),
    (bank_rule_set(0.35).version, bank_rule_set_2(0.35)),
)


def forward(apps: Any, schema_editor: Any) -> None:
    RuleSet = apps.get_model("registry", "RuleSet")
    ApiClient = apps.get_model("registry", "ApiClient")
    for old, rule_set in MOVES:
        new, _ = RuleSet.objects.get_or_create(
            version=rule_set.version,
            defaults={"name": rule_set.name, "definition": rule_set.to_dict()},
        )
        ApiClient.objects.filter(rule_set__version=old).update(rule_set=new)


def backward(apps: Any, schema_editor: Any) -> None:
    RuleSet = apps.get_model("registry", "RuleSet")
    ApiClient = apps.get_model("registry", "ApiClient")
    for old, rule_set in MOVES:
        previous = RuleSet.objects.filter(version=old).first()
        if previous is not None:
            ApiClient.objects.filter(rule_set__version=rule_set.version).update(rule_set=previous)
        RuleSet.objects.filter(version=rule_set.version, clients__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0004_alias_change_may_clear"),
        ("scoring", "0002_builtin_rule_sets"),
    ]

    operations = [migrations.RunPython(forward, backward)]
