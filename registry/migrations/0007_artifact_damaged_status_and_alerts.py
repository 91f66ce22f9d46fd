"""Model versions may become DAMAGED (their artifact no longer matches its SHA-256), and the
periodic artifact check records what it found as ArtifactAlert rows."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0006_rule_set_governance'),
    ]

    operations = [
        migrations.AlterField(
            model_name='modelversion',
            name='status',
            field=models.CharField(choices=[('PENDING', 'Pending'), ('READY', 'Ready'), ('FAILED', 'Failed'), ('DAMAGED', 'Damaged')], default='PENDING', max_length=8),
        ),
        migrations.CreateModel(
            name='ArtifactAlert',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('DAMAGED', 'Artifact damaged'), ('RESTORED', 'Artifact restored')], max_length=8)),
                ('message', models.TextField()),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('version', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='artifact_alerts', to='registry.modelversion')),
            ],
            options={
                'ordering': ['-created_at', '-id'],
            },
        ),
    ]
