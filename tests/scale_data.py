"""A customer at size, built fast with bulk_create: one trunk with up to 100,000 numbers and
10,000 workplaces (with logins, audit events, orders, a cart with package changes).

Shared by tests/workplaces/test_scale.py (query counts) and bench/scale.py (server times), so
that both look at the same data. ``grow`` only adds rows, so a test can measure the small
customer, grow it and measure again.

Rows bypass the services on purpose (speed); they are what the services would have written:
every workplace has a login and a "workplace_created" event, deleted ones have neither number
nor package, scheduled ones a ``cancel_on`` date.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import connection
from django.utils import timezone

from catalog.models import Package
from orders.models import CartChange, Order, OrderItem
from portal import audit_actions
from portal.models import AuditEvent, Customer, User
from trunks.models import Number, NumberBlock, SipTrunk
from workplaces.models import Workplace

BASE = "+49302"  # Berlin; extensions 200000 to 299999 (none starts with 77, 78, 110 or 112)
FIRST_EXTENSION = 200_000
MAX_NUMBERS = 100_000
FIRST_NAMES = ["Anna", "Ben", "Clara", "David", "Eva", "Felix", "Greta", "Hannes", "Ida", "Jonas"]
LAST_NAMES = ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker"]
ITEMS_PER_ORDER = 100
BATCH = 5000
#: Values the database adapters take as they are.
PLAIN = (str, int, bool)
#: The workplace the detail pages are measured on (active, with a package, at every size).
FOCUS = 7


@dataclass
class ScaleCustomer:
    customer: Customer
    admin: User
    trunk: SipTrunk
    block: NumberBlock
    packages: list = field(default_factory=list)
    workplaces: int = 0
    numbers: int = 0
    changes: int = 0
    focus_events: int = 0

    @property
    def focus(self) -> Workplace:
        return Workplace.objects.get(username=username(FOCUS))

    @property
    def first_order(self) -> Order:
        return Order.objects.filter(customer=self.customer).order_by("pk").first()


def username(i: int) -> str:
    return f"mitarbeiter.{i:05d}"


def e164(i: int) -> str:
    return f"{BASE}{FIRST_EXTENSION + i}"


def create(
    *, name: str = "Scale GmbH", number: str = "K-990001", admin_password: str | None = None
) -> ScaleCustomer:
    """The customer, its admin (``scale-admin``), one trunk and its number block, no rows yet."""
    customer = Customer.objects.create(name=name, number=number)
    admin = User.objects.create(
        username="scale-admin",
        first_name="Sabine",
        last_name="Skala",
        email="admin@scale.example",
        customer=customer,
        password=make_password(admin_password) if admin_password else "!",
    )
    trunk = SipTrunk.objects.create(
        customer=customer, name="Zentrale Berlin", workplace_quota=20_000
    )
    block = NumberBlock.objects.create(
        trunk=trunk,
        base=BASE,
        first_extension=FIRST_EXTENSION,
        last_extension=FIRST_EXTENSION + MAX_NUMBERS - 1,
    )
    packages = [None, *Package.objects.conference()]
    return ScaleCustomer(customer, admin, trunk, block, packages)


def insert(model, rows: Iterable[dict]) -> None:
    """INSERT ``rows`` (field attname -> value) with executemany: bulk_create without the
    model instances and the per-row SQL compilation, which dominate at 100,000 rows.

    Fields a row leaves out get their default (callables such as uuid4 are called per row),
    ``auto_now``/``auto_now_add`` fields the current time. Values are prepared by the fields,
    so the statement is the same on SQLite and PostgreSQL.
    """
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 (names from the model)
        quote(model._meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    now = timezone.now()

    def values(row: dict) -> tuple:
        out = []
        for f in fields:
            if f.attname in row:
                value = row[f.attname]
            elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value = now
            else:
                value = f.get_default()
            if value is None or type(value) in PLAIN:
                out.append(value)  # nothing to prepare; skipping the call halves the time
            else:
                out.append(f.get_db_prep_save(value, connection))
        return tuple(out)

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # COPY: several times faster than INSERTs
            copy_sql = "COPY {} ({}) FROM STDIN".format(
                quote(model._meta.db_table), ", ".join(quote(f.column) for f in fields)
            )
            with cursor.cursor.copy(copy_sql) as copy:
                for row in map(values, rows):
                    copy.write_row(row)
            return
        for batch in itertools.batched(map(values, rows), BATCH):
            cursor.executemany(sql, batch)


def _status(i: int) -> str:
    if i % 50 == 1:
        return Workplace.Status.DELETED
    if i % 20 == 0:
        return Workplace.Status.CANCEL_SCHEDULED
    return Workplace.Status.ACTIVE


def grow(scale: ScaleCustomer, *, workplaces: int, numbers: int, changes: int = 1) -> None:
    """Add rows until the trunk has ``numbers`` numbers and ``workplaces`` workplaces.

    Also: one login and one "created" event per workplace, one order per 100 workplaces (the
    first order's items grow with the customer), ``changes`` package changes in the admin's
    cart, and more history for the FOCUS workplace than its detail page shows (50).
    """
    assert numbers <= MAX_NUMBERS and workplaces <= numbers
    insert(
        Number,
        (
            {
                "trunk_id": scale.trunk.pk,
                "block_id": scale.block.pk,
                "e164": e164(i),
                "extension": str(FIRST_EXTENSION + i),
            }
            for i in range(scale.numbers, numbers)
        ),
    )
    scale.numbers = numbers
    SipTrunk.objects.filter(pk=scale.trunk.pk).update(numbers_count=numbers)

    new = range(scale.workplaces, workplaces)
    if new:
        _workplaces(scale, new)
        scale.workplaces = workplaces

    focus = Workplace.objects.get(username=username(FOCUS))
    wanted = 60 if workplaces >= 1000 else 2
    edited = {"username": focus.username, "fields": ["street"]}
    insert(
        AuditEvent,
        (
            {
                "customer_id": scale.customer.pk,
                "actor_id": scale.admin.pk,
                "action": "workplace_edited",
                "object_type": "workplace",
                "object_code": str(focus.code),
                "details": edited,
                "search_text": audit_actions.search_text("workplace_edited", edited),
            }
            for _ in range(scale.focus_events, wanted)
        ),
    )
    scale.focus_events = max(wanted, scale.focus_events)

    premium = scale.packages[-1]
    candidates = Workplace.objects.filter(
        trunk=scale.trunk, status=Workplace.Status.ACTIVE
    ).exclude(package=premium)
    have = CartChange.objects.filter(owner=scale.admin).values_list("workplace_id", flat=True)
    more = candidates.exclude(pk__in=list(have)).order_by("pk")[: max(0, changes - scale.changes)]
    CartChange.objects.bulk_create(
        CartChange(customer=scale.customer, owner=scale.admin, workplace=w, package=premium)
        for w in more
    )
    scale.changes = max(changes, scale.changes)


def _workplaces(scale: ScaleCustomer, new: range) -> None:
    """Logins, workplaces and their "created" events for the numbers ``new``."""
    insert(
        User,
        (
            {
                "username": username(i),
                "first_name": FIRST_NAMES[i % len(FIRST_NAMES)],
                "last_name": LAST_NAMES[i % len(LAST_NAMES)],
                "email": f"m{i}@scale.example",
                "password": "!",  # unusable, as before the first password message
                "is_active": _status(i) != Workplace.Status.DELETED,
            }
            for i in new
        ),
    )
    names = [username(i) for i in new]
    users = dict(
        User.objects.filter(username__startswith="mitarbeiter.").values_list("username", "pk")
    )
    numbers = dict(Number.objects.filter(trunk=scale.trunk).values_list("e164", "pk"))
    today = timezone.localdate()
    now = timezone.now()

    def row(i: int) -> dict:
        status = _status(i)
        deleted = status == Workplace.Status.DELETED
        package = None if deleted else scale.packages[i % len(scale.packages)]
        return {
            "trunk_id": scale.trunk.pk,
            "username": username(i),
            "user_id": users[username(i)],
            "number_id": None if deleted else numbers[e164(i)],
            "package_id": package.pk if package else None,
            "package_booked_on": today - dt.timedelta(days=i % 60) if package else None,
            "status": status,
            "first_name": FIRST_NAMES[i % len(FIRST_NAMES)],
            "last_name": f"{LAST_NAMES[i % len(LAST_NAMES)]} {i:05d}",
            "street": "Friedrichstraße",
            "house_number": str(1 + i % 200),
            "postcode": "10117",
            "city": "Berlin",
            "email": f"m{i}@scale.example",
            "auth_email": f"m{i}@scale.example",
            "mobile": "" if i % 3 == 0 else f"+49170{1000000 + i}",
            "created_by_id": scale.admin.pk,
            "activated_at": now - dt.timedelta(days=i % 60),
            "cancel_on": today + dt.timedelta(days=10)
            if status == Workplace.Status.CANCEL_SCHEDULED
            else None,
            "deleted_at": now if deleted else None,
        }

    insert(Workplace, map(row, new))
    created = list(
        Workplace.objects.filter(username__in=names)
        .order_by("username")
        .values_list("pk", "code", "first_name", "last_name", "username", "package_id")
    )
    insert(
        AuditEvent,
        (
            {
                "customer_id": scale.customer.pk,
                "actor_id": scale.admin.pk,
                "action": "workplace_created",
                "object_type": "workplace",
                "object_code": str(code),
                "details": params,
                "search_text": audit_actions.search_text("workplace_created", params),
            }
            for _pk, code, first, last, name, _package in created
            for params in [{"username": name, "name": f"{first} {last}"}]
        ),
    )
    _orders(scale, created, start=new.start)


def _orders(scale: ScaleCustomer, workplaces: list[tuple], *, start: int) -> None:
    """Items for the new workplaces: the last order is filled up to 100 items first."""
    net = Package.workplace_product().monthly_net
    prices = {p.pk: p.monthly_net for p in scale.packages if p}
    items = []
    order = Order.objects.filter(customer=scale.customer).order_by("-pk").first()
    for offset, (pk, _code, _first, _last, _name, package_id) in enumerate(workplaces):
        if order is None or (start + offset) % ITEMS_PER_ORDER == 0:
            order = Order.objects.create(
                customer=scale.customer,
                placed_by=scale.admin,
                submission=uuid.uuid4(),
                status=Order.Status.COMPLETED,
                monthly_net=Decimal("0.00"),
            )
            order.number = f"{timezone.localdate():%Y}-{order.pk:06d}"
            order.save(update_fields=["number"])
        items.append(
            {
                "order_id": order.pk,
                "kind": OrderItem.Kind.NEW_WORKPLACE,
                "workplace_id": pk,
                "package_id": package_id,
                "workplace_net": net,
                "package_net": prices.get(package_id, Decimal("0.00")),
            }
        )
    insert(OrderItem, items)
