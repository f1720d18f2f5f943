"""Trigram indexes for the overview's search by name and username (``UPPER(col) LIKE
'%…%'``, Django's ``icontains``); PostgreSQL only, nothing on SQLite."""

from django.db import migrations

from portal.trigram import trigram_index

TABLE = 'workplaces_workplace'


class Migration(migrations.Migration):

    dependencies = [
        ('portal', '0010_trigram_search'),
        ('workplaces', '0010_workplace_trunk_number'),
    ]

    operations = [
        trigram_index('workplaces_first_name_trgm', TABLE, 'UPPER(first_name)'),
        trigram_index('workplaces_last_name_trgm', TABLE, 'UPPER(last_name)'),
        trigram_index('workplaces_username_trgm', TABLE, 'UPPER(username)'),
    ]
