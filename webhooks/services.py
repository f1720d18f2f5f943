"""Webhook endpoints (add one with its secret shown once, remove it), events written to the
outbox for every active endpoint of a customer, and "Erneut senden"."""

from __future__ import annotations

import base64
import functools
import ipaddress
import secrets
import uuid
from collections.abc import Callable
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import audit, policy
from portal.errors import Refusal
from portal.policy import Actor
from webhooks import delivery
from webhooks.models import WebhookDelivery, WebhookEndpoint

URL_MAX_LENGTH = 500
#: Active endpoints one customer may have: every event is sent to each of them.
MAX_ENDPOINTS = 10
#: Bytes of randomness in a secret (Standard Webhooks asks for 24 to 64).
SECRET_BYTES = 32


def new_secret() -> str:
    return delivery.SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _url_refusal(code: str, message: str) -> Refusal:
    return Refusal(code, message, field="url")


def checked_url(url: str) -> str:
    """The endpoint's address: HTTPS to a public host, or plain HTTP to this machine where
    that is allowed (``DEBUG`` or ``WEBHOOKS_ALLOW_HTTP_LOOPBACK``, for development and
    tests). A name's addresses are checked again at each delivery
    (:func:`webhooks.delivery.is_public`)."""
    url = str(url).strip()
    if not url:
        raise _url_refusal("required", _("Bitte geben Sie die Adresse des Endpunkts ein."))
    if len(url) > URL_MAX_LENGTH:
        raise _url_refusal(
            "max_length",
            _("Die Adresse darf höchstens %(max)d Zeichen lang sein.") % {"max": URL_MAX_LENGTH},
        )
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise _url_refusal(
            "invalid", _("Bitte geben Sie eine vollständige Adresse ein, z. B. https://…")
        ) from None
    parts = urlsplit(url)
    if parts.username or parts.password:
        raise _url_refusal(
            "url_credentials",
            _("Die Adresse darf keinen Benutzernamen und kein Passwort enthalten."),
        )
    allowed = delivery.loopback_allowed(parts.hostname)
    if parts.scheme == "http" and not allowed:
        raise _url_refusal(
            "https_required",
            _("Webhooks werden nur über HTTPS gesendet: Die Adresse muss mit https:// beginnen."),
        )
    if not (allowed or _may_be_public(parts.hostname)):
        raise _url_refusal(
            "url_not_public",
            _(
                "Die Adresse muss aus dem Internet erreichbar sein, nicht nur in einem internen Netz."
            ),
        )
    return url


def _may_be_public(host: str) -> bool:
    """An address on the public internet, or a name (checked again when it is resolved)."""
    if host == "localhost" or host.endswith(".localhost"):
        return False
    try:
        return ipaddress.ip_address(host).is_global
    except ValueError:
        return True


def create_endpoint(*, actor: Actor, url: str) -> tuple[WebhookEndpoint, str]:
    """A new endpoint of the actor's admin; returns it and its secret (show it this once)."""
    if actor.staff or actor.customer_id is None:
        raise policy.not_found()
    url = checked_url(url)
    with transaction.atomic():
        active = WebhookEndpoint.objects.active().filter(admin__customer_id=actor.customer_id)
        if active.count() >= MAX_ENDPOINTS:
            raise _url_refusal(
                "too_many_endpoints",
                _("Es sind höchstens %(max)d Webhook-Endpunkte möglich.") % {"max": MAX_ENDPOINTS},
            )
        secret = new_secret()
        endpoint = WebhookEndpoint.objects.create(admin=actor.user, url=url, secret=secret)
        audit.record(
            customer_id=actor.customer_id,
            actor=actor,
            action="webhook_created",
            object_type="webhook_endpoint",
            object_code=endpoint.code,
            params={"url": url},
        )
    return endpoint, secret


def remove_endpoint(*, actor: Actor, endpoint: WebhookEndpoint) -> None:
    """Remove an endpoint: nothing more is sent to it and its secret is wiped. It stays
    listed with its deliveries."""
    policy.check_change(actor, endpoint)
    with transaction.atomic():
        removed = WebhookEndpoint.objects.filter(pk=endpoint.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), secret=""
        )
        if removed:
            audit.record(
                customer_id=endpoint.admin.customer_id,
                actor=actor,
                action="webhook_removed",
                object_type="webhook_endpoint",
                object_code=endpoint.code,
                params={"url": endpoint.url},
            )


def resend_delivery(*, actor: Actor, delivery_row: WebhookDelivery) -> bool:
    """ "Erneut senden" for a failed delivery to an endpoint still there (same event id)."""
    policy.check_change(actor, delivery_row)
    if delivery_row.endpoint.revoked_at is not None:
        raise Refusal(
            "endpoint_removed", _("Der Webhook-Endpunkt ist entfernt; es wird nichts gesendet.")
        )
    return delivery.resend(delivery_row)


def new_event_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def queue_event(
    *,
    customer_id: int,
    event_type: str,
    data: dict,
    subject: Model | Callable[[], Model] | None = None,
) -> list[WebhookDelivery]:
    """One delivery row per active endpoint of the customer whose admin may see ``subject``
    (the order or message the event is about: an endpoint acts with its admin's rights, as a
    key does), in the caller's transaction; each is handed to a worker on commit. ``data`` is
    plain JSON and holds no secret. ``subject`` may be a function that loads it: it is called
    only if an endpoint's admin is limited to some trunks."""
    about = functools.cache(subject if callable(subject) else lambda: subject)
    endpoints = [
        endpoint.pk
        for endpoint in WebhookEndpoint.objects.active()
        .filter(admin__customer_id=customer_id)
        .select_related("admin")
        if subject is None
        or not endpoint.admin.limited_to_trunks
        or policy.may_see(Actor.for_admin(endpoint.admin), about())
    ]
    if not endpoints:
        return []
    event_id = new_event_id()
    payload = {"type": event_type, "timestamp": timezone.now().isoformat(), "data": data}
    rows = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(endpoint_id=pk, event_id=event_id, event_type=event_type, payload=payload)
        for pk in endpoints
    )
    for row in rows:
        transaction.on_commit(lambda pk=row.pk: delivery.enqueue(pk))
    return rows
