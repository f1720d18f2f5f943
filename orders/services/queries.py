"""Reads for other pages about orders."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, Q, Value, When

from notifications.models import Notification
from orders.models import Order, OrderItem
from portal.paging import KeysFirstPaginator
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
    failed: int = 0


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

    def progress(self, messages: OrderMessages) -> Progress:
        return Progress(
            self.workplaces, self.active, messages.total, messages.sent, messages.failed
        )


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


#: Messages per page of the order page: an order of 5,000 workplaces has 10,001 of them.
MESSAGES_PER_PAGE = 50


@dataclass
class OrderMessages:
    """The order page's messages: one page of them, failed ones first (to send them again),
    then in the order they were written; and how many of all are sent, failed, on their way."""

    page: Page
    total: int
    sent: int
    failed: int
    ahead: int  # still on their way (the page keeps refreshing)


def order_messages_page(
    order: Order, number, *, per_page: int = MESSAGES_PER_PAGE
) -> OrderMessages:
    """The order's messages for page ``number`` (as ``Paginator.get_page`` takes it): the
    counts in one query, then the page's keys and its rows with workplace and user in another
    (the count is known, the paginator does not ask again)."""
    status = Notification.Status
    counts = order.notifications.aggregate(
        total=Count("pk"),
        sent=Count("pk", filter=Q(status=status.SENT)),
        failed=Count("pk", filter=Q(status=status.FAILED)),
        ahead=Count("pk", filter=Q(status__in=Notification.ON_ITS_WAY)),
    )
    failed_first = Case(When(status=status.FAILED, then=Value(0)), default=Value(1))
    rows = order.notifications.select_related("workplace", "user").order_by(
        failed_first, "created_at", "pk"
    )
    paginator = KeysFirstPaginator(rows, per_page)
    paginator.count = counts["total"]  # a cached property: set, it is not counted again
    page = paginator.get_page(number)
    page.object_list = list(page.object_list) if counts["total"] else []
    return OrderMessages(page, **counts)
