"""Webhook endpoints of a customer and the outbox of their deliveries."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.outbox import OutboxRow


class WebhookEndpointQuerySet(models.QuerySet):
    def active(self) -> WebhookEndpointQuerySet:
        return self.filter(revoked_at__isnull=True, admin__is_active=True)


class WebhookEndpoint(models.Model):
    """An address of the customer's own systems that events are POSTed to, signed.

    ``secret`` (``whsec_`` and base64 of random bytes) is shown once when the endpoint is
    made. It signs every delivery, so it is kept as it is, not as a hash; it never appears in
    a list, a log or a task's arguments, and it is wiped when the endpoint is removed.
    """

    code = models.UUIDField(_("Code"), default=uuid.uuid4, unique=True, editable=False)
    admin = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
        verbose_name=_("Administrator"),
    )
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(max_length=100, editable=False)
    created_at = models.DateTimeField(_("Erstellt am"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("Entfernt am"), null=True, blank=True)

    objects = WebhookEndpointQuerySet.as_manager()

    class Meta:
        verbose_name = _("Webhook-Endpunkt")
        verbose_name_plural = _("Webhook-Endpunkte")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(OutboxRow):
    """One event for one endpoint: the outbox row, written with the change that causes it.

    ``event_id`` (``msg_…``) is the event's, the same for every endpoint and every attempt,
    so a receiver can drop what it has seen (delivery is at least once).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Wartet")
        RUNNING = "running", _("Wird gesendet")
        DELIVERED = "delivered", _("Zugestellt")
        FAILED = "failed", _("Fehlgeschlagen")

    code = models.UUIDField(_("Code"), default=uuid.uuid4, unique=True, editable=False)
    endpoint = models.ForeignKey(
        WebhookEndpoint,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("Webhook-Endpunkt"),
    )
    event_id = models.CharField(_("Ereignis-ID"), max_length=40)
    event_type = models.CharField(_("Ereignis"), max_length=40)
    payload = models.JSONField(_("Inhalt"))
    status = models.CharField(
        _("Status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    last_status_code = models.PositiveSmallIntegerField(_("Letzter HTTP-Status"), null=True)
    last_error = models.CharField(_("Letzter Fehler"), max_length=500, blank=True)
    delivered_at = models.DateTimeField(_("Zugestellt am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Webhook-Zustellung")
        verbose_name_plural = _("Webhook-Zustellungen")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event_id"], name="webhooks_one_delivery_per_event"
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="webhooks_status_time")]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"
