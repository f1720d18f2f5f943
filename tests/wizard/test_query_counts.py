"""Each wizard page needs a fixed number of queries, whatever the number of workplaces and numbers.

Every page is measured twice: on a small trunk (88 numbers, 2 workplaces, one line in the
cart) and after the customer has grown (another block of ~4,800 numbers, 300 workplaces,
another admin's 40 drafts, 20 lines in the cart). Both counts must equal the number written
in the table below; a page whose count grows with the data has an N+1 query.

The counts include the request's own queries (session, the user with its customer) and, because each
test runs inside a transaction, the savepoints of the services' ``atomic`` blocks. With Redis
the user comes from the cache beside the session, one query less on every page
(``portal.usercache``, tests/portal/test_user_cache.py); these tests run without it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.models import Package
from orders.services import cart_of
from portal.models import User
from tests.wizard_helpers import USER_DATA, complete_draft, login_data, start_draft, step_url
from trunks.models import NumberBlock, SipTrunk
from trunks.services import save_number_block
from workplaces.models import SetupDraft, Workplace

HTMX = {"HX-Request": "true"}


@dataclass
class World:
    """A customer with a trunk, admin alice's wizard run, and a switch to grow it."""

    alice: User
    bob: User
    client: Client
    trunk: SipTrunk
    draft: SetupDraft
    grown: bool = False
    _serial: list[int] = field(default_factory=lambda: [0])

    def unique(self, stem: str) -> str:
        self._serial[0] += 1
        return f"{stem}{self._serial[0]}"

    def draft_through_package(self) -> SetupDraft:
        """A fresh draft with steps 1 to 5 saved, not yet in the cart."""
        draft = start_draft(self.client, self.trunk)
        self.client.post(step_url(draft, "benutzeranmeldung"), login_data(self.unique("person.")))
        self.client.post(step_url(draft, "rufnummer"), {"number": self.free_number()})
        response = self.client.post(step_url(draft, "konferenzpaket"), {"package": "none"})
        assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:2000]
        draft.refresh_from_db()
        return draft

    def free_number(self) -> str:
        return self.trunk.numbers.free().order_by("e164").values_list("e164", flat=True)[0]

    def grow(self) -> None:
        """Thousands of numbers, hundreds of workplaces, drafts of others, a fuller cart."""
        save_number_block(
            NumberBlock(
                trunk=self.trunk, base="+4922819", first_extension=1000, last_extension=5999
            )
        )
        numbers = iter(self.trunk.numbers.free().order_by("e164"))
        packages = [*Package.objects.conference(), None]
        Workplace.objects.bulk_create(
            Workplace(
                trunk=self.trunk,
                username=f"mitarbeiter.{i:03d}",
                number=next(numbers),
                package=packages[i % len(packages)],
                status=Workplace.Status.ACTIVE,
                first_name="Mitarbeiter",
                last_name=f"Nummer {i}",
                auth_email=f"m{i}@example.com",
                created_by=self.alice,
            )
            for i in range(300)
        )
        SetupDraft.objects.bulk_create(
            SetupDraft(
                customer_id=self.bob.customer_id,
                created_by=self.bob,
                trunk=self.trunk,
                status=SetupDraft.Status.IN_CART if i < 10 else SetupDraft.Status.OPEN,
                first_name="Entwurf",
                last_name=f"Bob {i}",
                postcode="53113",
                username=f"bob.entwurf.{i:02d}",
                auth_email="bob@example.com",
                without_mobile=True,
                number=next(numbers),
                package_chosen=True,
            )
            for i in range(40)
        )
        SetupDraft.objects.bulk_create(
            SetupDraft(
                customer_id=self.alice.customer_id,
                created_by=self.alice,
                trunk=self.trunk,
                status=SetupDraft.Status.IN_CART,
                first_name="Im",
                last_name=f"Warenkorb {i}",
                postcode="53113",
                username=f"alice.korb.{i:02d}",
                auth_email="korb@example.com",
                without_mobile=True,
                number=next(numbers),
                package=packages[i % len(packages)],
                package_chosen=True,
            )
            for i in range(19)
        )
        assert self.trunk.numbers.count() > 4800
        assert Workplace.objects.filter(trunk=self.trunk).count() >= 302
        self.grown = True


@pytest.fixture
def world(alice, bob, alice_client, trunk, demo_customer):
    # A second trunk, so that step 1 lists trunks instead of skipping itself.
    SipTrunk.objects.create(customer=demo_customer, name="Filiale Köln", workplace_quota=5)
    trunk.workplace_quota = 1000
    trunk.save(update_fields=["workplace_quota"])
    numbers = iter(trunk.numbers.order_by("-e164"))
    for i, first in enumerate(["Erika", "Max"]):
        Workplace.objects.create(
            trunk=trunk,
            username=f"bestand.{i}",
            number=next(numbers),
            status=Workplace.Status.ACTIVE,
            first_name=first,
            last_name="Mustermann",
            created_by=alice,
        )
    cart_of(alice)  # the cart exists, as it does after the first visit
    world = World(alice=alice, bob=bob, client=alice_client, trunk=trunk, draft=None)
    world.draft = world.draft_through_package()
    complete_draft(alice_client, trunk, username="schon.im.korb", number=world.free_number())
    return world


# A page: prepare (not counted) and return the request to count, with the status it answers.
Page = Callable[[World], tuple[Callable[[], object], int]]


def get_step(slug: str, query: str = "", headers: dict | None = None) -> Page:
    def prepare(w: World):
        url = step_url(w.draft, slug) + query
        return (lambda: w.client.get(url, headers=headers or {})), HTTPStatus.OK

    return prepare


def post_step(slug: str, data: Callable[[World], dict], *, fresh: bool = False) -> Page:
    def prepare(w: World):
        draft = w.draft_through_package() if fresh else w.draft
        body = data(w)
        return (lambda: w.client.post(step_url(draft, slug), body)), HTTPStatus.FOUND

    return prepare


def post_first_login(w: World):
    draft = start_draft(w.client, w.trunk)
    body = login_data(w.unique("erster.name."))
    return (lambda: w.client.post(step_url(draft, "benutzeranmeldung"), body)), HTTPStatus.FOUND


def get_start(w: World):
    return (lambda: w.client.get(reverse("wizard:start"))), HTTPStatus.OK


def post_start(w: World):
    body = {"trunk": str(w.trunk.code)}
    return (lambda: w.client.post(reverse("wizard:start"), body)), HTTPStatus.FOUND


def get_new(w: World):
    return (lambda: w.client.get(reverse("wizard:new", args=[w.trunk.code]))), HTTPStatus.OK


def post_new(w: World):
    url = reverse("wizard:new", args=[w.trunk.code])
    return (lambda: w.client.post(url, USER_DATA)), HTTPStatus.FOUND


def check_username(w: World):
    url = reverse("wizard:check_username", args=[w.draft.code])
    return (lambda: w.client.get(url, {"username": "noch.frei"}, headers=HTMX)), HTTPStatus.OK


def get_cart(w: World):
    return (lambda: w.client.get(reverse("orders:cart"))), HTTPStatus.OK


def remove_from_cart(w: World):
    draft = w.draft_through_package()
    w.client.post(step_url(draft, "warenkorb"))
    url = reverse("orders:remove", args=[draft.code])
    return (lambda: w.client.post(url)), HTTPStatus.FOUND


def place_order(w: World):
    """Ordering one draft; the other lines are taken out first (ordering is per line)."""
    SetupDraft.objects.filter(created_by=w.alice, status=SetupDraft.Status.IN_CART).update(
        status=SetupDraft.Status.DISCARDED, number=None, username=None
    )
    w.client.post(step_url(w.draft_through_package(), "warenkorb"))
    body = {"token": str(cart_of(w.alice).token)}
    return (lambda: w.client.post(reverse("orders:place"), body)), HTTPStatus.FOUND


def overview(w: World):
    return (lambda: w.client.get(reverse("manage:overview"))), HTTPStatus.OK


#: page -> (how to request it, the number of queries it needs at any size).
#: Every request starts with 2 (session; the user with its customer in one query).
PAGES: dict[str, tuple[Page, int]] = {
    # trunk_overview: one query with the usage counts of all trunks; a chosen trunk's places
    # are counted again by the setup service
    "1 SIP-Trunk GET (start)": (get_start, 3),
    "1 SIP-Trunk POST (start)": (post_start, 5),
    "1 SIP-Trunk GET": (get_step("sip-trunk"), 4),
    # the draft, the customer, its trunks with their usage, the chosen trunk (the form's
    # choice); the draft keeps its trunk, so ``change_trunk`` has nothing to check or write
    "1 SIP-Trunk POST": (post_step("sip-trunk", lambda w: {"trunk": str(w.trunk.code)}), 5),
    # the trunk with its places counted (one query, which ``check_trunk`` reads), the customer
    # for the page
    "2 Benutzerdaten GET (new)": (get_new, 3),
    # the trunk with its places counted; ``start_draft`` checks them and the Benutzerdaten once
    # and inserts the draft in a savepoint
    "2 Benutzerdaten POST (new)": (post_new, 6),
    "2 Benutzerdaten GET": (get_step("benutzerdaten"), 3),
    "2 Benutzerdaten POST": (post_step("benutzerdaten", lambda w: USER_DATA), 4),
    "3 Benutzeranmeldung GET": (get_step("benutzeranmeldung"), 3),
    # the draft; ``reserve_username`` asks the claims once whether the name is taken; in a
    # savepoint the draft and its claim written
    "3 Benutzeranmeldung POST": (
        post_step("benutzeranmeldung", lambda w: login_data(w.unique("neuer.name."))),
        8,
    ),
    # The first time, for a fresh draft: the same. A sent form no longer looks up the
    # username suggestion of the blank form (one query here, one per taken variant)
    "3 Benutzeranmeldung POST (first)": (post_first_login, 8),
    "3 Benutzername prüfen (htmx)": (check_username, 4),
    # count, one page of numbers, holders: workplaces and drafts (two queries for the page)
    "4 Rufnummer GET": (get_step("rufnummer"), 7),
    "4 Rufnummer GET page 3": (get_step("rufnummer", "?page=3"), 7),
    "4 Rufnummer GET search free": (get_step("rufnummer", "?q=0228+1&free=on"), 7),
    "4 Rufnummer GET search (htmx)": (
        get_step("rufnummer", "?q=*1&fragment=numbers", headers=HTMX),
        7,
    ),
    # the draft; in a savepoint ``reserve_number`` locks the number row, asks once whether it
    # is held, and writes the draft
    "4 Rufnummer POST": (post_step("rufnummer", lambda w: {"number": w.free_number()}), 8),
    # One for the workplace's own price, shown with every package.
    # One query less than before: the conference packages come from the process's cache
    # (catalog/offer.py), read once when the fixture took its drafts through step 5.
    "5 Konferenzpaket GET": (get_step("konferenzpaket"), 4),
    "5 Konferenzpaket POST": (post_step("konferenzpaket", lambda w: {"package": "none"}), 4),
    "6 Warenkorb GET": (get_step("warenkorb"), 4),
    # the trunk row locked and its places counted, in a savepoint
    "6 Warenkorb POST (In den Warenkorb)": (post_step("warenkorb", lambda w: {}, fresh=True), 8),
    # workplace price, the count and sum of all new workplaces per package (1), the page's
    # drafts with trunk, number and package (1), the package changes, the cart
    "Warenkorb GET": (get_cart, 7),
    # the draft written and its claim on the username given back
    "Warenkorb entfernen POST": (remove_from_cart, 5),
    # one line: 8 to lock and check, 4 writes per line, 6 writes per order, savepoints,
    # the customer's webhook endpoints for the event of the new order
    "Kostenpflichtig bestellen POST": (place_order, 26),
    # all trunks (two here): usage, packages, count and page of rows, own drafts
    "Arbeitsplätze verwalten GET": (overview, 6),  # the filter's packages cached
}


def count_queries(world: World, page: Page) -> tuple[int, list[str]]:
    request, status = page(world)
    with CaptureQueriesContext(connection) as queries:
        response = request()
    assert response.status_code == status, response.content.decode()[:3000]
    return len(queries), [q["sql"] for q in queries.captured_queries]


def test_each_page_needs_a_fixed_number_of_queries_whatever_the_size(world):
    """Every page at the small size, then the data grows, then every page again."""
    small = {name: count_queries(world, page) for name, (page, _expected) in PAGES.items()}
    world.grow()
    large = {name: count_queries(world, page) for name, (page, _expected) in PAGES.items()}

    wrong = [
        f"{name}: {small[name][0]} queries small, {large[name][0]} large, expected {expected}\n"
        + "\n".join(f"    {sql[:160]}" for sql in large[name][1])
        for name, (_page, expected) in PAGES.items()
        if small[name][0] != expected or large[name][0] != expected
    ]
    assert not wrong, "\n".join(wrong)
