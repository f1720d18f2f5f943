"""Packages now live in the catalog app (same table): the foreign keys follow, state only."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
        ("orders", "0005_item_outcome_one_change_per_workplace"),
        ("workplaces", "0003_package_moves_to_catalog"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="cartchange",
                    name="package",
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="catalog.package"),
                ),
                migrations.AlterField(
                    model_name="orderitem",
                    name="package",
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="catalog.package"),
                ),
                migrations.DeleteModel(name="Package"),
            ],
            database_operations=[],
        ),
    ]
