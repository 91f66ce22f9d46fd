"""Observed outcomes of scored applications, for challenger comparisons."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ('training', '0004_trainingrun'),
    ]

    operations = [
        migrations.CreateModel(
            name='Outcome',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('request_id', models.UUIDField(unique=True)),
                ('defaulted', models.BooleanField()),
                ('observed_at', models.DateField()),
                ('imported_at', models.DateTimeField(auto_now_add=True)),
            ],
            options={
                'ordering': ['-observed_at', '-id'],
            },
        ),
    ]
