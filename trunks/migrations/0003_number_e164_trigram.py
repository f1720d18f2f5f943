"""A trigram index on the numbers for the searches by a number's start or any part of it
(``e164 LIKE '+49228…%'`` / ``'%…%'``); PostgreSQL only, nothing on SQLite."""

from django.db import migrations

from portal.trigram import trigram_index


class Migration(migrations.Migration):

    dependencies = [
        ('portal', '0010_trigram_search'),
        ('trunks', '0002_siptrunk_numbers_count'),
    ]

    operations = [
        trigram_index('trunks_number_e164_trgm', 'trunks_number', 'e164'),
    ]
