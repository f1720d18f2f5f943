"""Reads for other pages about orders."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass

from django.core.paginator import Page, Paginator

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


#: Items per page of the order page: an order of thousands of workplaces shows them in pages.
ITEMS_PER_PAGE = 50


@dataclass(frozen=True)
class _ItemRow:
    """What the order page says about every item (not only its page's): narrow, no joins."""

    pk: int
    kind: str
    code: uuid.UUID  # the workplace's (all ``lifecycle.registrar_ref`` reads)
    status: str  # the workplace's
    mobile: str  # the workplace's
    changes_a_workplace: bool


@dataclass
class OrderItems:
    """The order page's items: one page of them with their workplaces, numbers, trunks and
    packages, and what the page says about all of them."""

    page: Page
    workplaces: int  # new workplaces
    active: int  # of them active (and, with a registrar, set up there)
    some_without_mobile: bool
    package_changed: bool
    changes: bool

    def progress(self, notifications: list[Notification]) -> Progress:
        sent = [n for n in notifications if n.status == Notification.Status.SENT]
        return Progress(self.workplaces, self.active, len(notifications), len(sent))


def order_items_page(order: Order, number, *, per_page: int = ITEMS_PER_PAGE) -> OrderItems:
    """The order's items for its page ``number`` (as ``Paginator.get_page`` takes it): the keys
    of all items first, narrow, from which the counts come; then only the page's rows with
    their joins. With a registrar connected, each workplace item gets its ``registrar`` state
    (the progress counts a workplace once that is done)."""
    rows = [
        _ItemRow(pk, kind, code, status, mobile, previous is not None)
        for pk, kind, code, status, mobile, previous in order.items.values_list(
            "pk", "kind", "workplace__code", "workplace__status", "workplace__mobile",
            "previous_net",
        )
    ]  # fmt: skip
    states = None
    if provisioning.is_connected():
        provisioned = [r for r in rows if r.kind != OrderItem.Kind.PACKAGE_CHANGE]
        states = provisioning.job_state(lifecycle.registrar_ref(r) for r in provisioned)
    page = Paginator(rows, per_page).get_page(number)
    keys = [row.pk for row in page.object_list]
    items = order.items.filter(pk__in=keys).select_related(
        "workplace__number", "workplace__trunk", "package"
    )
    page.object_list = list(items)
    if states is not None:
        for item in page.object_list:
            if item.kind != OrderItem.Kind.PACKAGE_CHANGE:
                item.registrar = states.get(lifecycle.registrar_ref(item.workplace))
    new = [r for r in rows if r.kind == OrderItem.Kind.NEW_WORKPLACE]
    active = [
        r
        for r in new
        if r.status in Workplace.LOGIN_ALLOWED
        and (states is None or _done(states.get(lifecycle.registrar_ref(r))))
    ]
    return OrderItems(
        page,
        workplaces=len(new),
        active=len(active),
        some_without_mobile=any(not r.mobile for r in new),
        package_changed=any(r.kind == OrderItem.Kind.PACKAGE_CHANGE for r in rows),
        changes=any(r.changes_a_workplace for r in rows),
    )


def _done(state) -> bool:
    return state is not None and state.state == "done"
