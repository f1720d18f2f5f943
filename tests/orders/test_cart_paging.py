"""A cart of thousands of new workplaces (a list import) shows them in pages of 50; the sums,
the order button and its cart token cover the whole cart on every page, and "Entfernen"
returns to the page it was sent from."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.models import gross
from orders.models import CartChange
from orders.services import LINES_PER_PAGE, cart_of
from tests.services.helpers import active_workplace
from workplaces.models import SetupDraft

WORKPLACE_NET = Decimal("6.90")  # the packages fixture's workplace product


def fill_cart(admin, trunk, packages, count: int, *, start: int = 0) -> None:
    """``count`` drafts in the admin's cart, the packages taken in turn (some without)."""
    choices = [None, *(p for code, p in packages.items() if code != "arbeitsplatz")]
    SetupDraft.objects.bulk_create(
        SetupDraft(
            customer_id=admin.customer_id,
            created_by=admin,
            trunk=trunk,
            status=SetupDraft.Status.IN_CART,
            first_name="Im",
            last_name=f"Warenkorb {i:04d}",
            postcode="53113",
            username=f"korb.{i:04d}",
            auth_email="korb@example.com",
            without_mobile=True,
            package=choices[i % len(choices)],
            package_chosen=True,
        )
        for i in range(start, start + count)
    )


def expected_net(admin) -> Decimal:
    """The monthly net of all drafts in the cart, added up one by one."""
    drafts = SetupDraft.objects.filter(created_by=admin, status=SetupDraft.Status.IN_CART)
    return sum(
        (WORKPLACE_NET + (d.package.monthly_net if d.package else 0) for d in drafts),
        Decimal("0.00"),
    )


def euro(amount: Decimal) -> str:
    return f"{amount:,.2f} €".replace(",", "X").replace(".", ",").replace("X", ".")


def get(client, **params) -> str:
    response = client.get(reverse("orders:cart"), params)
    assert response.status_code == 200
    return response.content.decode()


def rows(page: str) -> list[str]:
    return re.findall(r"korb\.\d{4}", page)


@pytest.fixture
def package_change(alice, trunk, packages):
    """An active workplace of alice's with a package change in her cart."""
    workplace = active_workplace(
        alice, trunk, username="mit.wechsel", package=packages["konferenz-basic"]
    )
    return CartChange.objects.create(
        customer_id=alice.customer_id,
        owner=alice,
        workplace=workplace,
        package=packages["konferenz-premium"],
    )


def test_the_cart_shows_50_new_workplaces_a_page_and_the_sums_of_all_on_each(
    alice, alice_client, trunk, packages, package_change
):
    fill_cart(alice, trunk, packages, 2 * LINES_PER_PAGE + 20)
    change_net = Decimal("14.90") - Decimal("4.90")
    net = expected_net(alice) + change_net
    token = str(cart_of(alice).token)
    pages = [get(alice_client), get(alice_client, page="2"), get(alice_client, page="3")]
    assert [len(rows(p)) for p in pages] == [LINES_PER_PAGE, LINES_PER_PAGE, 20]
    assert rows(pages[0])[0] == "korb.0000" and rows(pages[2])[-1] == "korb.0119"
    assert "Seite 1 von 3" in pages[0] and "Nächste Seite" in pages[0]
    assert "Seite 3 von 3" in pages[2] and "Nächste Seite" not in pages[2]
    for page in pages:
        # The package change on every page; the sums (twice: the table's footer and above
        # the button) and the token cover the whole cart.
        assert "Paketwechsel" in page and "mit.wechsel" in page
        assert page.count(f"+{euro(net)}") == 2, euro(net)
        assert page.count(f"+{euro(gross(net))}") == 2
        assert f'name="token" value="{token}"' in page
        assert "Kostenpflichtig bestellen" in page
        # the pages' controls come before the sums above the button
        assert page.index("Seite ") < page.index('class="cart-sums"')


def test_the_sums_without_package_changes_are_the_sum_of_every_line(
    alice, alice_client, trunk, packages
):
    fill_cart(alice, trunk, packages, LINES_PER_PAGE + 7)
    net = expected_net(alice)
    assert net > 0
    page = get(alice_client, page="2")
    assert page.count(euro(net)) == 2 and f"+{euro(net)}" not in page
    assert page.count(euro(gross(net))) == 2


def test_removing_a_line_returns_to_its_page_or_the_last_one_when_it_became_empty(
    alice, alice_client, trunk, packages
):
    fill_cart(alice, trunk, packages, 2 * LINES_PER_PAGE + 1)
    cart = reverse("orders:cart")
    on_second = SetupDraft.objects.get(username=f"korb.{LINES_PER_PAGE:04d}")
    assert 'name="page" value="2"' in get(alice_client, page="2")
    assert 'name="page"' not in get(alice_client)
    response = alice_client.post(reverse("orders:remove", args=[on_second.code]), {"page": "2"})
    assert response.status_code == 302 and response.url == f"{cart}?page=2"

    # The third page held one line; removed, the cart has two pages and shows the last.
    last = SetupDraft.objects.get(username=f"korb.{2 * LINES_PER_PAGE:04d}")
    response = alice_client.post(reverse("orders:remove", args=[last.code]), {"page": "3"})
    assert response.status_code == 302 and response.url == f"{cart}?page=3"
    page = get(alice_client, page="3")
    assert "Seite 2 von 2" in page and len(rows(page)) == LINES_PER_PAGE - 1

    first = SetupDraft.objects.get(username="korb.0000")
    response = alice_client.post(reverse("orders:remove", args=[first.code]))
    assert response.status_code == 302 and response.url == cart


def test_removing_a_package_change_returns_to_the_page_too(
    alice, alice_client, trunk, packages, package_change
):
    fill_cart(alice, trunk, packages, LINES_PER_PAGE + 1)
    url = reverse("orders:remove_change", args=[package_change.code])
    response = alice_client.post(url, {"page": "2"})
    assert response.status_code == 302 and response.url == f"{reverse('orders:cart')}?page=2"
    assert not CartChange.objects.exists()


def count(client, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        get(client, **params)
    return len(queries)


def test_the_cart_page_needs_7_queries_with_10_lines_and_with_1000(
    alice, alice_client, trunk, packages, package_change
):
    """Session and user (2), the workplace price, the count and sum of the new workplaces
    per package, the page's drafts with trunk, number and package, the package changes,
    the cart (5)."""
    fill_cart(alice, trunk, packages, 10)
    get(alice_client)  # the cart row exists after the first visit
    small = count(alice_client)
    fill_cart(alice, trunk, packages, 990, start=10)
    assert SetupDraft.objects.filter(created_by=alice, status="in_cart").count() == 1000
    large, deep = count(alice_client), count(alice_client, page="20")
    assert (small, large, deep) == (7, 7, 7)
