"""Store the built-in rule sets as data: OJK fintech lending and a bank's own DSR limit.

The definitions are frozen here as ``credit_ml.policy.fintech_rule_set()`` and
``bank_rule_set(0.35)`` wrote them when this migration was made (a migration must not change
with the code: a new regulation is a new rule-set version in a new migration, never an edit
of this one). ``tests/registry/test_rule_set_migrations.py`` keeps them equal.
"""

from typing import Any

from django.db import migrations

#: The 2026.1 definitions, frozen.
DEFINITIONS: list[dict[str, Any]] = [{'name': 'fintech',
  'version': 'fintech-2026.1',
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
             'schedule': [{'effective_from': '2024-01-01', 'value': 2000000000}]}]},
 {'name': 'bank',
  'version': 'bank-2026.1-dsr35',
  'rules': [{'code': 'BANK_MAX_DSR',
             'kind': 'max_dsr',
             'title_id': 'Batas DSR kebijakan kredit bank',
             'title_en': 'Bank credit policy DSR limit',
             'source': "Kebijakan kredit internal bank / the bank's own credit policy",
             'schedule': [{'effective_from': '2024-01-01', 'value': 0.35}]}]}]


def create(apps: Any, schema_editor: Any) -> None:
    RuleSet = apps.get_model("scoring", "RuleSet")
    for definition in DEFINITIONS:
        RuleSet.objects.get_or_create(
            version=definition["version"],
            defaults={"name": definition["name"], "definition": definition},
        )


def drop(apps: Any, schema_editor: Any) -> None:
    apps.get_model("scoring", "RuleSet").objects.filter(
        version__in=[definition["version"] for definition in DEFINITIONS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("scoring", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
