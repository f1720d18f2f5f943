"""Reads for other pages about orders."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass

from notifications.models import Notification
from orders.models import Order, OrderItem
from workplaces.models import Workplace


def orders_with_page(customer_id: int, codes: Collection[str]) -> set[str]:
    """Which of ``codes`` name an order of the customer (for links from the Protokoll)."""
    valid = []
    for code in codes:
        try:
            valid.append(uuid.UUID(code))
        except ValueError:
            continue
    found = Order.objects.filter(customer_id=customer_id, code__in=valid)
    return {str(code) for code in found.values_list("code", flat=True)}


@dataclass(frozen=True)
class Progress:
    """How far an order's new workplaces and messages are: done of all, for the order page."""

    workplaces: int
    active: int
    messages: int
    sent: int


def progress(items: list[OrderItem], notifications: list[Notification]) -> Progress:
    """From what the order page has loaded anyway, without a query: its new workplaces, how
    many are active (with a registrar, an item the page gave its ``registrar`` state counts
    once that is done), its messages and how many are sent."""
    new = [i for i in items if i.kind == OrderItem.Kind.NEW_WORKPLACE]
    active = [
        i
        for i in new
        if i.workplace.status in Workplace.LOGIN_ALLOWED
        and (not hasattr(i, "registrar") or _done(i.registrar))
    ]
    sent = [n for n in notifications if n.status == Notification.Status.SENT]
    return Progress(len(new), len(active), len(notifications), len(sent))


def _done(state) -> bool:
    return state is not None and state.state == "done"
