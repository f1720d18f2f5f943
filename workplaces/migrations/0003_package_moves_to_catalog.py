"""The package foreign keys now point to ``catalog.Package`` (the same table): state only."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
        ("workplaces", "0002_workplace_cancel_on_workplace_deleted_at"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="workplace",
                    name="package",
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="catalog.package", verbose_name="Konferenzpaket"),
                ),
                migrations.AlterField(
                    model_name="setupdraft",
                    name="package",
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="catalog.package"),
                ),
            ],
            database_operations=[],
        ),
    ]
