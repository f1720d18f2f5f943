"""Audit events become data: an action code and its parameters, rendered when read.

Events written before this migration keep their finished sentence in ``summary`` and are shown
as they were written. They are not converted to parameters: their sentences are in the language
of whichever admin acted (German or English), with names that may hold any character, so
reading the parameters back out of them would be guesswork. New events leave ``summary`` empty.

The Protokoll searches ``search_text``; for an old event that is its sentence, so it is found
by everything it shows, as before. Going back renders the new events' sentences in German into
``summary``, which is what the code before this migration wrote.
"""

from django.db import migrations, models
from django.db.models import F
from django.utils import translation


def search_old_sentences(apps, schema_editor):
    AuditEvent = apps.get_model("portal", "AuditEvent")
    AuditEvent.objects.exclude(summary="").update(search_text=F("summary"))


def write_sentences(apps, schema_editor):
    from portal import audit_actions

    AuditEvent = apps.get_model("portal", "AuditEvent")
    with translation.override("de"):
        for event in AuditEvent.objects.filter(summary="").iterator():
            event.summary = audit_actions.render(event.action, event.details)[:300]
            event.save(update_fields=["summary"])


class Migration(migrations.Migration):

    dependencies = [
        ('portal', '0003_user_temporary_password_set_at'),
    ]

    operations = [
        migrations.AddField(
            model_name='auditevent',
            name='search_text',
            field=models.TextField(blank=True, editable=False, verbose_name='Suchtext'),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='summary',
            field=models.CharField(blank=True, max_length=300, verbose_name='Beschreibung'),
        ),
        migrations.RunPython(search_old_sentences, write_sentences),
    ]
