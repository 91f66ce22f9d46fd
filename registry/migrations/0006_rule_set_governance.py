"""Rule sets become governed data: a status (draft, published, refused), the date a
version takes effect, the version it succeeds, and who drafted, approved or refused it,
when and why, with the simulation run shown as evidence.

The versions stored before are PUBLISHED, effective from 2024-01-01 (the built-in rules'
start), with no drafter or reviewer: they were written by the release, not by a person.
The same values are database defaults, for the rows the previous release's code writes
while a deployment rolls out.
"""

import datetime

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0005_rule_sets_with_unchecked_setting"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="ruleset",
            name="status",
            field=models.CharField(
                choices=[("DRAFT", "Draft"), ("PUBLISHED", "Published"), ("REFUSED", "Refused")],
                default="PUBLISHED",
                max_length=9,
            ),
        ),
        migrations.AlterField(
            model_name="ruleset",
            name="status",
            field=models.CharField(
                choices=[("DRAFT", "Draft"), ("PUBLISHED", "Published"), ("REFUSED", "Refused")],
                default="DRAFT",
                db_default="PUBLISHED",
                max_length=9,
            ),
        ),
        migrations.AddField(
            model_name="ruleset",
            name="effective_from",
            field=models.DateField(db_default=datetime.date(2024, 1, 1)),
        ),
        migrations.AddField(
            model_name="ruleset",
            name="based_on",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="successors",
                to="registry.ruleset",
            ),
        ),
        migrations.AddField(
            model_name="ruleset",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="ruleset",
            name="reviewed_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="ruleset",
            name="reviewed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="ruleset",
            name="review_reason",
            field=models.TextField(blank=True, db_default=""),
        ),
        migrations.AddField(
            model_name="ruleset",
            name="simulation_run_id",
            field=models.PositiveBigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="ruleset",
            name="simulated_sha256",
            field=models.CharField(blank=True, db_default="", max_length=64),
        ),
        migrations.AlterModelOptions(
            name="ruleset",
            options={
                "ordering": ["name", "-created_at"],
                "permissions": [("approve_ruleset", "Can approve or refuse a rule-set version")],
            },
        ),
        migrations.AddIndex(
            model_name="ruleset",
            index=models.Index(
                fields=["based_on", "status", "effective_from"], name="registry_rs_successor"
            ),
        ),
    ]
