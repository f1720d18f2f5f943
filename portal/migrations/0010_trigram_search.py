"""Trigram indexes for the Protokoll's search (PostgreSQL only; nothing on SQLite).

``pg_trgm`` is a trusted extension (PostgreSQL 13 and later): a database owner without
superuser rights may create it. Where even that is not allowed, create it once as a
superuser (``CREATE EXTENSION pg_trgm;``) before migrating; this migration then skips it.
"""

from django.db import migrations

from portal.trigram import TrigramExtension, trigram_index


class Migration(migrations.Migration):

    dependencies = [
        ('portal', '0009_audit_event_trunk'),
    ]

    operations = [
        TrigramExtension(),
        trigram_index('portal_audit_search_trgm', 'portal_auditevent', 'UPPER(search_text)'),
        trigram_index('portal_audit_label_trgm', 'portal_auditevent', 'UPPER(actor_label)'),
        trigram_index('portal_user_username_trgm', 'portal_user', 'UPPER(username)'),
    ]
