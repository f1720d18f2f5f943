"""Speed at size (issue 5, item 9): with 10,000 workplaces and 100,000 numbers on one trunk the
management pages need a fixed number of queries.

One customer (tests/scale_data.py) is measured twice: small (10 workplaces, 100 numbers, one
package change in the cart) and after growing it with bulk_create to 10,000 workplaces with
logins, 100,000 numbers, 100 orders (the first with 100 items), 10,000+ audit events and 20
package changes in the cart. Every page must need exactly the number of queries written in
PAGES at both sizes; a count that grows with the data is an N+1 query.

Counts include the request's own queries: session and the user with its customer.
The file takes about 15 s on SQLite and 20 s on PostgreSQL, most of it building the large
customer (raw INSERTs, COPY on PostgreSQL). All of that is in the one heavy test; the checks of
the data's size in it tell when the customer did not grow as intended.
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog import offer
from orders.models import CartChange, Order
from orders.services import cart_of
from portal.models import AuditEvent
from tests import scale_data
from trunks.models import Number
from workplaces.models import SetupDraft, Workplace

SMALL = {"workplaces": 10, "numbers": 100, "changes": 1}
LARGE = {"workplaces": 10_000, "numbers": 100_000, "changes": 20}


class World:
    """The scale customer, its admin's browser and a wizard draft waiting at step 4."""

    def __init__(self) -> None:
        self.scale = scale_data.create()
        self.client = Client()
        self.client.force_login(self.scale.admin)
        cart_of(self.scale.admin)  # the cart exists, as it does after the first visit
        offer.conference_packages()  # cached, as after the process's first page
        self.draft = SetupDraft.objects.create(
            customer=self.scale.customer,
            created_by=self.scale.admin,
            trunk=self.scale.trunk,
            first_name="Neu",
            last_name="Person",
            postcode="10117",
            username="neue.person",
            auth_email="neu@scale.example",
            without_mobile=True,
        )

    def grow(self, **size) -> None:
        scale_data.grow(self.scale, **size)
        self.focus = self.scale.focus
        self.order = self.scale.first_order


#: A page: the URL and query for the world, and its query count at any size.
Url = Callable[[World], tuple[str, dict]]


def overview(**params) -> Url:
    return lambda w: (reverse("manage:overview"), params)


def on_focus(name: str) -> Url:
    return lambda w: (reverse(name, args=[w.focus.code]), {})


def numbers(**params) -> Url:
    return lambda w: (reverse("manage:numbers", args=[w.scale.trunk.code]), params)


def protokoll(**params) -> Url:
    return lambda w: (reverse("portal:protokoll"), params)


# Every request: session and the user with its customer (2). The conference packages come from
# the process's cache (catalog/offer.py; read once before measuring): no query.
PAGES: dict[str, tuple[Url, int]] = {
    # trunks with usage (1), count and page (2), own drafts (1); the filter's packages cached
    "Arbeitsplätze verwalten": (overview(), 6),
    "… page 40 of 60 rows": (overview(per_page="60", page="40"), 6),
    "… search by name": (overview(q="Schmidt"), 6),
    "… search by username": (overview(q="mitarbeiter.0000"), 6),
    "… search by number (national)": (overview(q="030 2200007"), 6),
    "… search by digits anywhere": (overview(q="*2000"), 6),
    "… filter status": (overview(status="cancel_scheduled"), 6),
    "… filter package": (overview(package="konferenz-plus", per_page="30"), 6),
    "… filter no package, deleted": (overview(package="none", status="deleted"), 6),
    # trunks with usage (1), the rows, streamed (1); the filter's packages cached
    "CSV export (all rows)": (lambda w: (reverse("manage:export"), {}), 4),
    "CSV export (filtered)": (lambda w: (reverse("manage:export"), {"q": "Weber"}), 4),
    # the workplace with trunk, number, package, login (1), its latest 50 events (1)
    "Arbeitsplatz (detail)": (on_focus("manage:detail"), 4),
    # the workplace (1) and the form's own copy of it (1)
    "Arbeitsplatz bearbeiten": (on_focus("manage:edit"), 3),
    # the workplace (1); the packages cached
    "Paket ändern": (on_focus("orders:change_package"), 3),
    "Arbeitsplatz löschen (confirmation)": (on_focus("orders:delete"), 3),
    # trunks with usage (1), the latest 5 orders with who placed them (1)
    "Kontingente & Auftragsstatus": (lambda w: (reverse("orders:status"), {}), 4),
    # count and page (2)
    "Ihre Aufträge": (lambda w: (reverse("orders:list"), {}), 4),
    # the order (1), the keys and states of all its items (1), the page's 50 items with
    # workplace, number, trunk, package (1), history, the messages' counts (1; the page of
    # them is one more, only for an order with messages: tests/orders/test_order_page_paging.py)
    "Auftrag (100 items when large)": (
        lambda w: (reverse("orders:detail", args=[w.order.code]), {}),
        7,
    ),
    # the trunk (1), count and page of numbers (2), holders: workplaces and drafts (2);
    # without a search the count of all numbers is the trunk's stored total (one query less)
    "Rufnummern des Trunks": (numbers(), 6),
    "… page 1000": (numbers(page="1000"), 6),
    "… search number": (numbers(q="030 22000"), 7),
    # the free ones without a search: counted from their holders, not from the numbers
    "… only free": (numbers(free="on"), 7),
    "… only free, search": (numbers(free="on", q="*20005"), 7),
    # wizard step 4, as in test_query_counts: the draft, count, page, holders
    "Einrichtung: Rufnummer zuweisen": (
        lambda w: (reverse("wizard:step", args=[w.draft.code, "rufnummer"]), {}),
        7,
    ),
    "… free numbers, search": (
        lambda w: (
            reverse("wizard:step", args=[w.draft.code, "rufnummer"]),
            {"q": "030 2200051", "free": "on"},  # free at both sizes
        ),
        7,
    ),
    # the workplace price, the count and sum of its drafts per package, its changes with
    # workplace, number and packages, the cart (4); no drafts, so no page of them is read
    # (tests/orders/test_cart_paging.py counts a cart of 1,000)
    "Warenkorb (20 changes when large)": (lambda w: (reverse("orders:cart"), {}), 6),
    # count and page of events with their actors (2), which of the workplaces they name have
    # a page (1; orders named on the page would add 1, these pages name none)
    "Protokoll": (protokoll(), 5),
    "… filter action, page 3": (protokoll(action="workplace_created", page="3"), 5),
    "… search event": (protokoll(q="mitarbeiter.0000"), 5),
    "… since": (protokoll(since="2020-01-01"), 5),
}


def count(world: World, url: Url) -> tuple[int, list[str]]:
    path, params = url(world)
    with CaptureQueriesContext(connection) as queries:
        response = world.client.get(path, params)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == HTTPStatus.OK, (path, params, response.status_code)
    return len(queries), [q["sql"] for q in queries.captured_queries]


def test_the_pages_need_a_fixed_number_of_queries_at_10000_workplaces_and_100000_numbers(
    packages,
):
    world = World()
    world.grow(**SMALL)
    small = {name: count(world, url) for name, (url, _expected) in PAGES.items()}

    world.grow(**LARGE)
    trunk = world.scale.trunk
    assert Number.objects.filter(trunk=trunk).count() == 100_000
    assert Workplace.objects.filter(trunk=trunk).count() == 10_000
    assert Workplace.objects.filter(trunk=trunk, number__isnull=False).count() == 9_800
    assert world.order.items.count() == 100
    assert CartChange.objects.filter(owner=world.scale.admin).count() == 20
    assert Order.objects.filter(customer=world.scale.customer).count() == 100
    assert AuditEvent.objects.filter(object_code=str(world.focus.code)).count() == 61
    large = {name: count(world, url) for name, (url, _expected) in PAGES.items()}
    found = world.client.get(reverse("manage:overview"), {"q": "030 2200007"})
    assert str(world.focus.code) in found.content.decode()

    wrong = [
        f"{name}: {small[name][0]} queries small, {large[name][0]} large, expected {expected}\n"
        + "\n".join(f"    {sql[:200]}" for sql in large[name][1])
        for name, (_url, expected) in PAGES.items()
        if small[name][0] != expected or large[name][0] != expected
    ]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("query", ["Becker 00007", "030 2200007", "mitarbeiter.00007"])
def test_the_small_customer_finds_what_it_searches(packages, query):
    """The measured searches are real searches: at the small size each finds the FOCUS row."""
    world = World()
    world.grow(**SMALL)
    page = world.client.get(reverse("manage:overview"), {"q": query}).content.decode()
    assert str(world.focus.code) in page
