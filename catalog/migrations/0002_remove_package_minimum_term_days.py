"""Nothing ever read ``minimum_term_days``: the seed's 30 days hold for every product alike
(``catalog.models.MINIMUM_TERM_DAYS``), so the editable column that promised otherwise goes."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
        ("orders", "0006_package_moves_to_catalog"),
    ]

    operations = [
        migrations.RemoveField(model_name="package", name="minimum_term_days"),
    ]
