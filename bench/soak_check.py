"""What bench/soak.py counts once the outboxes have drained: lost, duplicates, drift, final.

* lost: an order a client got a code for that is not in the database or has fewer items
  than were ordered; a username ordered (wizard, API) without its workplace; an item of a
  completed order whose workplace is not active; an active workplace without its row in
  Kamailio's ``subscriber`` table; a message an order should have (welcome e-mail and
  password for each new workplace, the Auftragsinformation) that has no row; a row marked
  sent that no sink received.
* duplicates: a second order of one client action (a wizard flow's or an import's admin
  with more than one order, an API username in more than one order item), two workplaces
  with one username, two subscriber rows of one user, a message received more than once by
  the sinks (e-mails by recipient and subject, SMS by recipient: every workplace has its own
  addresses).
* drift: ``provisioning.services.drift.compare`` against the active workplaces.
* final: completed, or failed with its reason (an item's reason or the last status note).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Tally:
    orders: int = 0
    final: int = 0
    lost: int = 0
    duplicates: int = 0
    drift: int = 0
    problems: list[str] = field(default_factory=list)

    def add(self, kind: str, count: int, text: str) -> None:
        if count <= 0:
            return
        setattr(self, kind, getattr(self, kind) + count)
        if len(self.problems) < 40:
            self.problems.append(f"{kind} {count}: {text}")


def pending_work() -> dict[str, int]:
    """What is still on its way: orders, messages, registrar jobs, import runs."""
    from notifications.models import Notification
    from orders.models import Order
    from provisioning.models import RegistrarJob
    from workplaces.models import ImportRun

    return {
        "orders": Order.objects.filter(status__in=Order.IN_PROGRESS).count(),
        "messages": Notification.objects.filter(status__in=Notification.ON_ITS_WAY).count(),
        "registrar jobs": RegistrarJob.objects.exclude(status__in=RegistrarJob.FINISHED).count(),
        "import runs": ImportRun.objects.filter(status__in=ImportRun.WORKING).count(),
    }


def count(placed: list, customers: list[str], subscribers: list[str], sinks: dict) -> Tally:
    from orders.models import Order

    tally = Tally(orders=len(placed))
    orders = {
        str(o.code): o
        for o in Order.objects.filter(customer__number__in=customers)
        .select_related("placed_by")
        .prefetch_related("items", "history", "notifications")
    }
    _orders(tally, placed, orders)
    _workplaces(tally, placed, customers, subscribers)
    _messages(tally, orders, sinks)
    _drift(tally)
    return tally


def _orders(tally: Tally, placed: list, orders: dict) -> None:
    from orders.models import Order

    for each in placed:
        order = orders.get(each.code)
        if order is None:
            tally.add("lost", 1, f"order {each.code} ({each.kind}) is not in the database")
            continue
        items = len(order.items.all())
        tally.add("lost", each.items - items, f"order {each.code} has {items} of {each.items}")
        if order.status == Order.Status.COMPLETED or (
            order.status == Order.Status.FAILED and _reason(order)
        ):
            tally.final += 1
        else:
            tally.problems.append(f"order {each.code} ({each.kind}) is {order.status}")
    by_admin = Counter(o.placed_by.username for o in orders.values() if o.placed_by_id)
    for each in placed:
        if each.kind != "api":
            extra = by_admin[each.admin] - 1
            tally.add("duplicates", extra, f"{each.admin} has {extra + 1} orders")
    known = {each.code for each in placed}
    for code in set(orders) - known:
        tally.problems.append(f"order {code} was placed, no client got its code")


def _reason(order) -> bool:
    history = list(order.history.all())
    return any(item.reason for item in order.items.all()) or bool(history and history[-1].note)


def _workplaces(tally: Tally, placed: list, customers: list[str], subscribers: list[str]) -> None:
    from orders.models import Order, OrderItem
    from workplaces.models import Workplace

    workplaces = Workplace.objects.filter(trunk__customer__number__in=customers)
    names = Counter(workplaces.values_list("username", flat=True))
    for name, n in names.items():
        tally.add("duplicates", n - 1, f"{n} workplaces named {name}")
    items = Counter(
        OrderItem.objects.filter(order__customer__number__in=customers).values_list(
            "workplace__username", flat=True
        )
    )
    for each in placed:
        for username in each.usernames:
            if username not in names:
                tally.add("lost", 1, f"no workplace {username} ({each.kind} {each.code})")
            tally.add("duplicates", items[username] - 1, f"{username} in {items[username]} items")
    inactive = OrderItem.objects.filter(
        order__customer__number__in=customers, order__status=Order.Status.COMPLETED
    ).exclude(workplace__status=Workplace.Status.ACTIVE)
    for username in inactive.values_list("workplace__username", flat=True):
        tally.add("lost", 1, f"{username} of a completed order is not active")
    rows = Counter(subscribers)
    for name, n in rows.items():
        tally.add("duplicates", n - 1, f"{n} subscriber rows of {name}")
    active = workplaces.filter(status=Workplace.Status.ACTIVE).values_list("username", flat=True)
    for username in active:
        if username not in rows:
            tally.add("lost", 1, f"active {username} has no subscriber row")


def _messages(tally: Tally, orders: dict, sinks: dict) -> None:
    from notifications import messages
    from notifications.models import Notification
    from orders.models import Order

    emails = Counter({(to, subject): n for to, subject, n in sinks["emails"]})
    sms = Counter(dict(sinks["sms"]))
    expected: Counter = Counter()
    for order in orders.values():
        rows = list(order.notifications.all())
        if order.status == Order.Status.COMPLETED:
            # Each new workplace: welcome e-mail and its password; the order: its information.
            need = 2 * len(order.items.all()) + 1
            tally.add("lost", need - len(rows), f"order {order.code} has {len(rows)} of {need}")
        for row in rows:
            if row.status != Notification.Status.SENT:
                continue
            if row.channel == Notification.Channel.SMS:
                expected[("sms", row.recipient)] += 1
            else:
                subject = messages.render(row, password="-").subject
                expected[("email", (row.recipient, subject))] += 1
    for (channel, key), n in expected.items():
        got = sms[key] if channel == "sms" else emails[key]
        tally.add("lost", n - got, f"{channel} to {key} sent {n}, received {got}")
        tally.add("duplicates", got - n, f"{channel} to {key} sent {n}, received {got}")


def _drift(tally: Tally) -> None:
    from provisioning.services import drift

    differences = drift.compare(drift.expected_subscribers() or {})
    for difference in differences[:10]:
        tally.problems.append(f"drift: {difference}")
    tally.drift = len(differences)
