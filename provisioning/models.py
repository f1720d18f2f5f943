from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.outbox import OutboxRow


class RegistrarJob(OutboxRow):
    """One change for the SIP registrar: the outbox row, written with the change causing it.

    A job says what the registrar should look like for one username (a subscriber with its
    number's alias, or none at all), so running it twice is harmless and only the newest job
    of a username counts. No password and no ``ha1`` is ever stored here: passwords reach
    the registrar directly from the place where they are set.
    """

    class Kind(models.TextChoices):
        ENSURE = "ensure", _("Anlegen")
        REMOVE = "remove", _("Entfernen")

    class Status(models.TextChoices):
        PENDING = "pending", _("Wartet")
        RUNNING = "running", _("Läuft")
        DONE = "done", _("Erledigt")
        SUPERSEDED = "superseded", _("Überholt")

    #: Nothing more will happen to a job in these.
    FINISHED = (Status.DONE, Status.SUPERSEDED)

    class Error(models.TextChoices):
        UNREACHABLE = "unreachable", _("Datenbank des SIP-Registrars nicht erreichbar")
        TIMEOUT = "timeout", _("Datenbank des SIP-Registrars antwortet nicht rechtzeitig")
        RPC = "rpc", _("Steuerschnittstelle des SIP-Registrars nicht erreichbar")
        FAILED = "failed", _("Unerwarteter Fehler beim SIP-Registrar")

    kind = models.CharField(_("Art"), max_length=10, choices=Kind.choices)
    username = models.CharField(_("Benutzername"), max_length=64)
    e164 = models.CharField(_("Rufnummer"), max_length=20, blank=True)
    ref = models.CharField(
        _("Bezug"), max_length=100, blank=True, help_text=_("Zum Beispiel workplace:<Code>.")
    )
    status = models.CharField(
        _("Status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    last_error = models.CharField(
        _("Letzter Fehler"), max_length=20, choices=Error.choices, blank=True
    )
    # Who waits for this job (e.g. an order to complete): the task by name and its argument,
    # enqueued once the job is done. By name, so provisioning needs no import of the caller.
    then_task = models.CharField(max_length=100, blank=True, editable=False)
    then_id = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    done_at = models.DateTimeField(_("Erledigt"), null=True, blank=True)

    class Meta:
        verbose_name = _("Registrar-Auftrag")
        verbose_name_plural = _("Registrar-Aufträge")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="provisioning_status_time"),
            models.Index(fields=["username", "id"], name="provisioning_username"),
            models.Index(fields=["ref", "id"], name="provisioning_ref"),
            models.Index(fields=["then_id", "then_task"], name="provisioning_then"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.username}"
