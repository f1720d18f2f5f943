from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.outbox import OutboxRow


class Notification(OutboxRow):
    """One message to send: the outbox row, written with the change that causes it.

    The text is rendered from ``context`` when it is sent; a temporary password is never in
    it (the delivery task makes the password and puts it only into the message).
    """

    class Kind(models.TextChoices):
        WELCOME = "welcome", _("Begrüßungs-E-Mail")
        PASSWORD_SMS = "password_sms", _("Passwort per SMS")
        PASSWORD_EMAIL = "password_email", _("Passwort per E-Mail")
        ORDER_CONFIRMATION = "order_confirmation", _("Auftragsinformation")
        PASSWORD_RESET_SMS = "password_reset_sms", _("Neues Passwort per SMS")
        PASSWORD_RESET_EMAIL = "password_reset_email", _("Neues Passwort per E-Mail")
        PHONE_SETUP_EMAIL = "phone_setup_email", _("Hinweis „Telefon einrichten“")
        ADMIN_INVITATION = "admin_invitation", _("Einladung als Administrator")

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-Mail")
        SMS = "sms", _("SMS")

    class Status(models.TextChoices):
        PENDING = "pending", _("Wartet auf Versand")
        SENDING = "sending", _("Wird gesendet")
        SENT = "sent", _("Gesendet")
        FAILED = "failed", _("Fehlgeschlagen")

    #: Still on its way: the order page keeps refreshing while a message is in these.
    ON_ITS_WAY = (Status.PENDING, Status.SENDING)

    PASSWORD_KINDS = (
        Kind.PASSWORD_SMS,
        Kind.PASSWORD_EMAIL,
        Kind.PASSWORD_RESET_SMS,
        Kind.PASSWORD_RESET_EMAIL,
    )

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("Art"), max_length=30, choices=Kind.choices)
    channel = models.CharField(_("Kanal"), max_length=10, choices=Channel.choices)
    recipient = models.CharField(_("Empfänger"), max_length=254)
    language = models.CharField(_("Sprache"), max_length=8, default="de")
    context = models.JSONField(_("Inhalt"), default=dict, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Benutzer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Bei Passwort-Nachrichten: wessen Passwort gesetzt wird."),
    )
    workplace = models.ForeignKey(
        "workplaces.Workplace",
        verbose_name=_("Arbeitsplatz"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("Auftrag"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notifications",
    )
    keeps_current_password = models.BooleanField(
        _("Bisheriges Passwort gilt weiter"),
        default=False,
        help_text=_(
            "„Passwort vergessen“: das neue temporäre Passwort ersetzt das bisherige erst, "
            "wenn es zum ersten Mal verwendet wird."
        ),
    )
    status = models.CharField(
        _("Status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    last_error = models.CharField(_("Letzter Fehler"), max_length=500, blank=True)
    provider_id = models.CharField(_("Kennung beim Anbieter"), max_length=100, blank=True)
    sent_at = models.DateTimeField(_("Gesendet"), null=True, blank=True)

    class Meta:
        verbose_name = _("Nachricht")
        verbose_name_plural = _("Nachrichten")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "created_at"], name="notifications_status_time")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.masked_recipient}"

    @property
    def masked_recipient(self) -> str:
        return mask(self.recipient)

    @property
    def is_password(self) -> bool:
        return self.kind in self.PASSWORD_KINDS


def mask(recipient: str) -> str:
    """``j***@example.com`` or ``+49 170 ****567``: enough to recognise, not to copy."""
    if "@" in recipient:
        local, _at, domain = recipient.partition("@")
        return f"{local[:1]}***@{domain}"
    if len(recipient) > 7:
        return f"{recipient[:6]}****{recipient[-3:]}"
    return "****"
