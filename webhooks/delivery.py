"""The outbox of webhook deliveries: signed the Standard Webhooks way, POSTed, retried.

A delivery claims its row (:mod:`portal.outbox`), signs the event under its stable id with
the endpoint's secret and the time of this attempt, and POSTs it without following
redirects. A 2xx delivers it; a 5xx, a 429, a timeout or a connection error puts the row
back to pending with the outbox's backoff; any other answer fails it for good (the page
offers "Erneut senden"). The secret stays in the database and in this process: neither the
task's arguments nor a log line carry it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import socket
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from portal import logs, outbox
from webhooks.models import WebhookDelivery

log = logs.get_logger(__name__)

LOOPBACK_HOSTS = ("127.0.0.1", "localhost")
SECRET_PREFIX = "whsec_"  # noqa: S105 (the prefix of every secret, not one)

#: Pending rows this long past due (or, never tried, past their creation) are swept.
PENDING_GRACE = dt.timedelta(minutes=2)

OUTBOX = outbox.Outbox(
    WebhookDelivery,
    pending=WebhookDelivery.Status.PENDING,
    running=WebhookDelivery.Status.RUNNING,
    task="webhooks.tasks.deliver",
    retry_base_setting="WEBHOOK_RETRY_BASE_SECONDS",
    retry_max_setting="WEBHOOK_RETRY_MAX_SECONDS",
    grace=PENDING_GRACE,
    log_name="webhook_delivery",
)


def enqueue(delivery_id: int) -> None:
    """Hand a row to a worker. A broker outage is logged, not raised: the sweep retries."""
    OUTBOX.enqueue(delivery_id)


def body_of(payload: dict) -> str:
    """The JSON text that is sent and signed."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def loopback_allowed(host: str | None) -> bool:
    """Plain HTTP to this machine, for development and tests only."""
    allowed = settings.DEBUG or settings.WEBHOOKS_ALLOW_HTTP_LOOPBACK
    return allowed and host in LOOPBACK_HOSTS


def is_public(url: str) -> bool:
    """Whether every address the URL's host has now is on the public internet, so that a
    customer's endpoint cannot make this server call into its own network. Raises
    :class:`OSError` when the name cannot be resolved."""
    parts = urlsplit(url)
    if loopback_allowed(parts.hostname):
        return True
    port = parts.port or (443 if parts.scheme == "https" else 80)
    infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    return all(ipaddress.ip_address(info[4][0]).is_global for info in infos)


def sign(*, secret: str, event_id: str, timestamp: int, body: str) -> str:
    """The ``webhook-signature`` header: ``v1,`` and base64 of HMAC-SHA256 over
    ``{id}.{timestamp}.{body}`` with the secret's bytes (base64 after ``whsec_``)."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{event_id}.{timestamp}.{body}".encode()
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def _post(delivery: WebhookDelivery) -> requests.Response:
    body = body_of(delivery.payload)
    timestamp = int(timezone.now().timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "SIP-Trunk-Portal-Webhooks/1",
        "webhook-id": delivery.event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(
            secret=delivery.endpoint.secret,
            event_id=delivery.event_id,
            timestamp=timestamp,
            body=body,
        ),
    }
    return requests.post(
        delivery.endpoint.url,
        data=body.encode(),
        headers=headers,
        timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
        allow_redirects=False,
    )


def is_transient(status_code: int) -> bool:
    """Worth another try: the receiver is down or busy, not refusing this event."""
    return status_code >= 500 or status_code == 429


def _fields(delivery: WebhookDelivery) -> dict[str, object]:
    """What a log line says of a delivery (its id is bound): never its URL or secret."""
    return {"event_type": delivery.event_type, "attempts": delivery.attempts}


def _fail(delivery: WebhookDelivery, error: str, status_code: int | None) -> bool:
    OUTBOX.finish(
        delivery,
        status=WebhookDelivery.Status.FAILED,
        last_status_code=status_code,
        last_error=error[:500],
    )
    log.info("webhook_failed", **_fields(delivery), error=error, status_code=status_code)
    return False


def _retry(delivery: WebhookDelivery, error: str, status_code: int | None) -> bool:
    """Raise :class:`portal.outbox.Deferred` with the row back to pending, or, after
    ``WEBHOOK_MAX_ATTEMPTS``, fail it (the page offers "Erneut senden")."""
    if delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        return _fail(delivery, error, status_code)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(last_status_code=status_code)
    countdown = OUTBOX.defer(delivery, error=error[:500])
    log.info(
        "webhook_deferred",
        **_fields(delivery),
        error=error,
        status_code=status_code,
        retry_in_s=round(countdown),
    )
    raise outbox.Deferred(error, countdown)


def deliver(delivery_id: int, *, claim: str) -> bool:
    """POST one row. Returns False when there was nothing to do or it failed for good.

    Raises :class:`portal.outbox.Deferred` after putting the row back to pending with the time
    of its next attempt, so the task can retry then.
    """
    delivery = OUTBOX.claim(delivery_id, claim)
    if delivery is None:
        return False
    if delivery.endpoint.revoked_at is not None:
        return _fail(delivery, "endpoint removed", None)
    try:
        public = is_public(delivery.endpoint.url)
    except OSError as exc:
        return _retry(delivery, f"{type(exc).__name__}: name not resolved", None)
    if not public:
        return _fail(delivery, "address not public", None)
    try:
        response = _post(delivery)
    except requests.Timeout:
        return _retry(delivery, "timeout", None)
    except requests.RequestException as exc:
        return _retry(delivery, f"{type(exc).__name__}: connection failed", None)
    code = response.status_code
    if 200 <= code < 300:
        OUTBOX.finish(
            delivery,
            status=WebhookDelivery.Status.DELIVERED,
            last_status_code=code,
            last_error="",
            delivered_at=timezone.now(),
        )
        log.info("webhook_delivered", **_fields(delivery), status_code=code)
        return True
    if is_transient(code):
        return _retry(delivery, f"HTTP {code}", code)
    return _fail(delivery, f"HTTP {code}", code)


def resend(delivery: WebhookDelivery) -> bool:
    """ "Erneut senden": a failed row goes back to the outbox, due now, under the same id,
    with a fresh count of attempts."""
    updated = WebhookDelivery.objects.filter(
        pk=delivery.pk, status=WebhookDelivery.Status.FAILED
    ).update(
        status=WebhookDelivery.Status.PENDING,
        attempts=0,
        last_error="",
        claimed_by="",
        next_attempt_at=timezone.now(),
    )
    if updated:
        transaction.on_commit(lambda: enqueue(delivery.pk))
    return bool(updated)


def sweep(*, now: dt.datetime | None = None) -> int:
    """Hand stuck rows to a worker again: lost publishes and retries, dead workers."""
    return OUTBOX.sweep(now=now)
