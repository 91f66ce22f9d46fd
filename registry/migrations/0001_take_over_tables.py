"""The registry takes over ModelVersion, ModelAlias, ModelAliasChange (from training) and
RuleSet, ApiClient (from scoring) with their existing tables."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("training", "0006_modelversion_data_path"),
        ("scoring", "0002_builtin_rule_sets"),
        ("audit", "0008_digest_indexes_without_like"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # State only: the tables keep their names; no data moves.
        migrations.SeparateDatabaseAndState(
            state_operations=[
            migrations.CreateModel(
                name='RuleSet',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('name', models.CharField(max_length=40)),
                    ('version', models.CharField(max_length=60, unique=True)),
                    ('definition', models.JSONField()),
                    ('created_at', models.DateTimeField(auto_now_add=True)),
                ],
                options={
                    'db_table': 'scoring_ruleset',
                    'ordering': ['name', '-created_at'],
                },
            ),
            migrations.CreateModel(
                name='ModelVersion',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('label', models.CharField(max_length=64, unique=True)),
                    ('algorithm', models.CharField(choices=[('xgboost', 'XGBoost'), ('lightgbm', 'LightGBM')], max_length=16)),
                    ('status', models.CharField(choices=[('PENDING', 'Pending'), ('READY', 'Ready'), ('FAILED', 'Failed')], default='PENDING', max_length=8)),
                    ('artifact_path', models.TextField(blank=True)),
                    ('artifact_sha256', models.CharField(blank=True, max_length=64)),
                    ('metrics', models.JSONField(blank=True, default=dict)),
                    ('params', models.JSONField(blank=True, default=dict)),
                    ('data_fingerprint', models.CharField(max_length=64)),
                    ('data_path', models.TextField(blank=True)),
                    ('data_rows', models.PositiveIntegerField(blank=True, null=True)),
                    ('error', models.TextField(blank=True)),
                    ('dataset_spec', models.JSONField(blank=True, null=True)),
                    ('created_at', models.DateTimeField(auto_now_add=True)),
                    ('ready_at', models.DateTimeField(blank=True, null=True)),
                    ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ],
                options={
                    'db_table': 'training_modelversion',
                    'ordering': ['-created_at'],
                },
            ),
            migrations.CreateModel(
                name='ModelAliasChange',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('alias', models.CharField(choices=[('champion', 'Champion'), ('challenger', 'Challenger')], max_length=16)),
                    ('reason', models.TextField(blank=True)),
                    ('created_at', models.DateTimeField(auto_now_add=True)),
                    ('changed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ('from_version', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.modelversion')),
                    ('to_version', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.modelversion')),
                ],
                options={
                    'db_table': 'training_modelaliaschange',
                    'ordering': ['-created_at', '-id'],
                },
            ),
            migrations.CreateModel(
                name='ModelAlias',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('name', models.CharField(choices=[('champion', 'Champion'), ('challenger', 'Challenger')], max_length=16, unique=True)),
                    ('updated_at', models.DateTimeField(auto_now=True)),
                    ('version', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='aliases', to='registry.modelversion')),
                ],
                options={
                    'verbose_name_plural': 'model aliases',
                    'db_table': 'training_modelalias',
                    'ordering': ['name'],
                },
            ),
            migrations.CreateModel(
                name='ApiClient',
                fields=[
                    ('id', models.CharField(editable=False, max_length=150, primary_key=True, serialize=False, unique=True)),
                    ('prefix', models.CharField(editable=False, max_length=8, unique=True)),
                    ('hashed_key', models.CharField(editable=False, max_length=150)),
                    ('created', models.DateTimeField(auto_now_add=True, db_index=True)),
                    ('name', models.CharField(default=None, help_text='A free-form name for the API key. Need not be unique. 50 characters max.', max_length=50)),
                    ('revoked', models.BooleanField(blank=True, default=False, help_text='If the API key is revoked, clients cannot use it anymore. (This cannot be undone.)')),
                    ('expiry_date', models.DateTimeField(blank=True, help_text='Once API key expires, clients cannot use it anymore.', null=True, verbose_name='Expires')),
                    ('rule_set', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='clients', to='registry.ruleset')),
                ],
                options={
                    'verbose_name': 'API client',
                    'verbose_name_plural': 'API clients',
                    'db_table': 'scoring_apiclient',
                    'ordering': ('-created',),
                    'permissions': [('score_applications', 'Can score loan applications')],
                    'abstract': False,
                },
            ),
            migrations.AddIndex(
                model_name='modelversion',
                index=models.Index(fields=['status'], name='training_mv_status_idx'),
            ),
            migrations.AddConstraint(
                model_name='modelversion',
                constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'READY'), _negated=True), models.Q(models.Q(('artifact_sha256', ''), _negated=True), ('ready_at__isnull', False)), _connector='OR'), name='training_mv_ready_has_artifact'),
            ),
            migrations.AddIndex(
                model_name='modelaliaschange',
                index=models.Index(fields=['alias', '-created_at'], name='training_mac_alias_idx'),
            ),
            migrations.AddConstraint(
                model_name='modelaliaschange',
                constraint=models.CheckConstraint(condition=models.Q(('from_version', models.F('to_version')), _negated=True), name='training_mac_from_differs_from_to'),
            ),
            ],
            database_operations=[],
        ),
    ]
