"""Packages move from the orders app to the catalog: the model's home changes, not the data.

The table keeps its name (``orders_package``); only Django's state moves, so no row changes.
"""

from django.db import migrations, models


def rename_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="orders", model="package").update(app_label="catalog")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("orders", "0005_item_outcome_one_change_per_workplace"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Package",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("code", models.SlugField(unique=True, verbose_name="Kennung")),
                        ("kind", models.CharField(choices=[("workplace", "Arbeitsplatz"), ("conference", "Konferenzpaket")], max_length=20, verbose_name="Art")),
                        ("name", models.CharField(max_length=60, verbose_name="Name")),
                        ("rank", models.PositiveSmallIntegerField(default=0, help_text="Höhere Stufe = größeres Paket (für Up-/Downgrade).", verbose_name="Stufe")),
                        ("features", models.JSONField(blank=True, default=list, verbose_name="Funktionen")),
                        ("monthly_net", models.DecimalField(decimal_places=2, max_digits=8, verbose_name="Monatlich netto (EUR)")),
                        ("minimum_term_days", models.PositiveSmallIntegerField(default=30, verbose_name="Mindestvertragslaufzeit (Tage)")),
                        ("active", models.BooleanField(default=True, verbose_name="Bestellbar")),
                    ],
                    options={
                        "verbose_name": "Produkt",
                        "verbose_name_plural": "Produkte und Pakete",
                        "ordering": ["kind", "rank"],
                        "db_table": "orders_package",
                        "constraints": [
                            models.CheckConstraint(condition=models.Q(("monthly_net__gte", 0)), name="orders_package_price_not_negative")
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(rename_content_type, migrations.RunPython.noop),
    ]
