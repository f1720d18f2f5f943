"""Reads for other pages about orders."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass

from django.db.models import Count, Q

from notifications.models import Notification
from orders.models import Order, OrderItem
from provisioning import services as provisioning
from workplaces.models import Workplace
from workplaces.services import lifecycle


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


def progress(order: Order) -> Progress:
    """Three queries however big the order: its new workplaces, how many of them are active
    (with a registrar: also written there), its messages and how many are sent."""
    workplaces = list(
        order.items.filter(kind=OrderItem.Kind.NEW_WORKPLACE).values_list(
            "workplace__code", "workplace__status"
        )
    )
    active = [code for code, status in workplaces if status in Workplace.LOGIN_ALLOWED]
    if provisioning.is_connected() and active:
        done = provisioning.job_state(lifecycle.registrar_ref_of(code) for code in active)
        active = [code for code in active if _done(done.get(lifecycle.registrar_ref_of(code)))]
    messages = order.notifications.aggregate(
        total=Count("pk"), sent=Count("pk", filter=Q(status=Notification.Status.SENT))
    )
    return Progress(len(workplaces), len(active), messages["total"], messages["sent"])


def _done(state) -> bool:
    return state is not None and state.state == "done"
