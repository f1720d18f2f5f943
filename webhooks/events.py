"""The events the customer's systems hear of, built from what the lower layers signal.

Each receiver runs in the transaction that records the change (see :mod:`orders.signals`
and :mod:`notifications.signals`), so an event's delivery rows exist exactly when the change
does. An event carries codes, types and states, never a password, a token or a recipient.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef
from django.db.models.functions import Coalesce

from notifications.models import Notification
from orders.models import Order
from webhooks.models import WebhookEndpoint
from webhooks.services import queue_event

ORDER_STATUS_CHANGED = "order.status_changed"
MESSAGE_DELIVERED = "message.delivered"
MESSAGE_FAILED = "message.failed"


def on_order_status_changed(
    sender, *, order: Order, old_status: str | None, new_status: str, changed_at: dt.datetime, **kw
) -> None:
    queue_event(
        customer_id=order.customer_id,
        subject=order,
        event_type=ORDER_STATUS_CHANGED,
        data={
            "order": str(order.code),
            "number": order.number,
            "old_status": old_status,
            "new_status": new_status,
            "changed_at": changed_at.isoformat(),
        },
    )


def on_message_delivery_recorded(sender, *, notification: Notification, **kw) -> None:
    # Every message passes here: one query, and no more unless the customer has an endpoint.
    customer = Coalesce(OuterRef("order__customer_id"), OuterRef("workplace__trunk__customer_id"))
    found = (
        Notification.objects.filter(pk=notification.pk)
        .annotate(
            has_endpoint=Exists(
                WebhookEndpoint.objects.active().filter(admin__customer_id=customer)
            )
        )
        .values(
            "order__code",
            "order__customer_id",
            "workplace__code",
            "workplace__trunk__customer_id",
            "has_endpoint",
        )
        .first()
    )
    if found is None or not found["has_endpoint"]:
        return
    customer_id = found["order__customer_id"] or found["workplace__trunk__customer_id"]
    if customer_id is None:
        return
    delivered = notification.status == Notification.Status.SENT
    queue_event(
        customer_id=customer_id,
        # A message of no order (a new password) is about its workplace, and so its trunk.
        subject=lambda: notification.workplace if notification.workplace_id else notification,
        event_type=MESSAGE_DELIVERED if delivered else MESSAGE_FAILED,
        data={
            "message": str(notification.code),
            "kind": notification.kind,
            "channel": notification.channel,
            "status": notification.status,
            "workplace": _code(found["workplace__code"]),
            "order": _code(found["order__code"]),
        },
    )


def _code(value: object) -> str | None:
    return str(value) if value else None
