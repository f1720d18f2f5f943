"""The events the customer's systems hear of, built from what the lower layers signal.

Each receiver runs in the transaction that records the change (see :mod:`orders.signals`
and :mod:`notifications.signals`), so an event's delivery rows exist exactly when the change
does. An event carries codes, types and states, never a password, a token or a recipient.
"""

from __future__ import annotations

import datetime as dt
import functools

from django.db import connection

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
    if not _customer_has_endpoint(notification):
        return
    found = (
        Notification.objects.filter(pk=notification.pk)
        .values(
            "order__code", "order__customer_id", "workplace__code", "workplace__trunk__customer_id"
        )
        .first()
    )
    if found is None:
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


def _customer_has_endpoint(notification: Notification) -> bool:
    """Whether the message's customer (its order's, else its workplace's trunk's) has an
    active endpoint (:meth:`WebhookEndpointQuerySet.active`).

    Every message sent or failed asks this, most of them for a customer with no endpoint, so
    it is one query written out: the ORM took several times longer to build it than the
    database to answer it (bench/notifications.py).
    """
    with connection.cursor() as cursor:
        cursor.execute(_endpoint_sql(), [True, notification.order_id, notification.workplace_id])
        return cursor.fetchone() is not None


@functools.cache
def _endpoint_sql() -> str:
    q = connection.ops.quote_name

    def table(model) -> str:
        return q(model._meta.db_table)

    def column(model, name: str) -> str:
        return q(model._meta.get_field(name).column)

    user = WebhookEndpoint._meta.get_field("admin").related_model
    workplace = Notification._meta.get_field("workplace").related_model
    trunk = workplace._meta.get_field("trunk").related_model
    # Names quoted from the models' metadata; every value is a parameter.
    return (
        f"SELECT 1 FROM {table(WebhookEndpoint)} e"  # noqa: S608
        f" INNER JOIN {table(user)} u ON u.{column(user, 'id')} = e.{column(WebhookEndpoint, 'admin')}"
        f" WHERE e.{column(WebhookEndpoint, 'revoked_at')} IS NULL"
        f" AND u.{column(user, 'is_active')} = %s"
        f" AND u.{column(user, 'customer')} = COALESCE("
        f"(SELECT o.{column(Order, 'customer')} FROM {table(Order)} o"
        f" WHERE o.{column(Order, 'id')} = %s),"
        f" (SELECT t.{column(trunk, 'customer')} FROM {table(workplace)} w"
        f" INNER JOIN {table(trunk)} t ON t.{column(trunk, 'id')} = w.{column(workplace, 'trunk')}"
        f" WHERE w.{column(workplace, 'id')} = %s))"
        " LIMIT 1"
    )


def _code(value: object) -> str | None:
    return str(value) if value else None
