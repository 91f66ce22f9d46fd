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

#: (old version, definition of the new version) of each built-in rule set, frozen here as
#: ``credit_ml.policy.fintech_rule_set_2()`` and ``bank_rule_set_2(0.35)`` wrote them when
#: this migration was made: a migration must not change with the code (a change to a rule
#: set is a new version). ``tests/registry/test_rule_set_migrations.py`` keeps them equal.
MOVES: list[tuple[str, dict[str, Any]]] = [('fintech-2026.1',
      {'name': 'fintech',
       'version': 'fintech-2026.2',
       'rules': [{'code': 'OJK_MAX_REPAYMENT_TO_INCOME',
                  'kind': 'max_dsr',
                  'title_id': 'Batas total cicilan terhadap penghasilan',
                  'title_en': 'Repayment-to-income cap',
                  'source': 'POJK 40/2024; SEOJK 19/SEOJK.06/2025',
                  'schedule': [{'effective_from': '2024-01-01', 'value': 0.5},
                               {'effective_from': '2025-01-01', 'value': 0.4},
                               {'effective_from': '2026-01-01', 'value': 0.3}]},
                 {'code': 'OJK_MAX_LENDING_PLATFORMS',
                  'kind': 'max_platforms',
                  'title_id': 'Batas jumlah platform pinjaman',
                  'title_en': 'Maximum number of lending platforms',
                  'source': 'POJK 40/2024; SEOJK 19/SEOJK.06/2025',
                  'schedule': [{'effective_from': '2024-01-01', 'value': 3}]},
                 {'code': 'OJK_MIN_AGE',
                  'kind': 'min_age',
                  'title_id': 'Usia minimal atau berstatus kawin',
                  'title_en': 'Minimum age, or married',
                  'source': 'POJK 40/2024; SEOJK 19/SEOJK.06/2025',
                  'schedule': [{'effective_from': '2024-01-01', 'value': 18}]},
                 {'code': 'OJK_MIN_INCOME',
                  'kind': 'min_income',
                  'title_id': 'Penghasilan bulanan minimal',
                  'title_en': 'Minimum monthly income',
                  'source': 'POJK 40/2024; SEOJK 19/SEOJK.06/2025',
                  'schedule': [{'effective_from': '2027-01-01', 'value': 3000000}]},
                 {'code': 'OJK_MAX_FUNDING',
                  'kind': 'max_loan_amount',
                  'title_id': 'Batas maksimal pendanaan per penerima dana',
                  'title_en': 'Maximum funding per borrower',
                  'source': 'POJK 40/2024; SEOJK 19/SEOJK.06/2025',
                  'schedule': [{'effective_from': '2024-01-01', 'value': 2000000000}]}],
       'unchecked': 'review',
       'max_term_months': 24,
       'rule_reasons': True}),
     ('bank-2026.1-dsr35',
      {'name': 'bank',
       'version': 'bank-2026.2-dsr35',
       'rules': [{'code': 'BANK_MAX_DSR',
                  'kind': 'max_dsr',
                  'title_id': 'Batas DSR kebijakan kredit bank',
                  'title_en': 'Bank credit policy DSR limit',
                  'source': "Kebijakan kredit internal bank / the bank's own credit policy",
                  'schedule': [{'effective_from': '2024-01-01', 'value': 0.35}]}],
       'unchecked': 'pass',
       'max_term_months': 360,
       'rule_reasons': True})]


def forward(apps: Any, schema_editor: Any) -> None:
    RuleSet = apps.get_model("registry", "RuleSet")
    ApiClient = apps.get_model("registry", "ApiClient")
    for old, definition in MOVES:
        new, _ = RuleSet.objects.get_or_create(
            version=definition["version"],
            defaults={"name": definition["name"], "definition": definition},
        )
        ApiClient.objects.filter(rule_set__version=old).update(rule_set=new)


def backward(apps: Any, schema_editor: Any) -> None:
    RuleSet = apps.get_model("registry", "RuleSet")
    ApiClient = apps.get_model("registry", "ApiClient")
    for old, definition in MOVES:
        version = definition["version"]
        previous = RuleSet.objects.filter(version=old).first()
        if previous is not None:
            ApiClient.objects.filter(rule_set__version=version).update(rule_set=previous)
        RuleSet.objects.filter(version=version, clients__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0004_alias_change_may_clear"),
        ("scoring", "0002_builtin_rule_sets"),
    ]

    operations = [migrations.RunPython(forward, backward)]
