"""API keys: a customer admin's key for machines, stored only as a hash."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiKeyQuerySet(models.QuerySet):
    def active(self) -> ApiKeyQuerySet:
        return self.filter(revoked_at__isnull=True)


class ApiKey(models.Model):
    """A key acts for its admin's customer with that admin's rights.

    The key itself is shown once when it is made; only its SHA-256 is kept (the key has 256
    random bits, so a plain hash cannot be guessed back). ``prefix`` is its first characters,
    shown so that people can tell their keys apart.
    """

    code = models.UUIDField(_("Code"), unique=True, editable=False)
    admin = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_keys",
        verbose_name=_("Administrator"),
    )
    name = models.CharField(_("Name"), max_length=100)
    prefix = models.CharField(_("Präfix"), max_length=16)
    key_hash = models.CharField(_("Hash"), max_length=64, editable=False)
    created_at = models.DateTimeField(_("Erstellt am"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("Zuletzt benutzt"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("Widerrufen am"), null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = _("API-Schlüssel")
        verbose_name_plural = _("API-Schlüssel")
        ordering = ["name", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["key_hash"], name="api_key_hash_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class IdempotencyKey(models.Model):
    """The first answer to a POST with an ``Idempotency-Key``, replayed for its copies.

    One row per API key and key, claimed by inserting it in the transaction that does the
    work: a copy that arrives meanwhile waits on the unique constraint, then finds the answer.
    ``request_hash`` is the SHA-256 of method, path and body: the same key with another
    request is refused. Rows older than ``IDEMPOTENCY_KEY_HOURS`` are deleted periodically.
    """

    api_key = models.ForeignKey(
        ApiKey, on_delete=models.CASCADE, related_name="+", verbose_name=_("API-Schlüssel")
    )
    key = models.CharField(_("Idempotency-Key"), max_length=255)
    request_hash = models.CharField(_("Hash der Anfrage"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("Status"), null=True)
    response_body = models.BinaryField(_("Antwort"), default=b"")
    response_headers = models.JSONField(_("Kopfzeilen der Antwort"), default=dict)
    created_at = models.DateTimeField(_("Erstellt am"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("Idempotency-Key")
        verbose_name_plural = _("Idempotency-Keys")
        constraints = [
            models.UniqueConstraint(fields=["api_key", "key"], name="api_idempotency_key_once"),
        ]

    def __str__(self) -> str:
        return self.key
