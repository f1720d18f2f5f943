"""The cart of a list import in the browser: pages of 50 new workplaces, the sums of the
whole cart right above "Kostenpflichtig bestellen" on every page, "Entfernen" stays on its page."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from orders.services import LINES_PER_PAGE
from tests.e2e.conftest import log_in_with_cookie
from tests.orders.test_cart_paging import fill_cart

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def sums_right_above_the_button(page) -> str:
    sums = page.locator(".cart-sums")
    expect(sums).to_be_visible()
    button = page.get_by_role("button", name="Kostenpflichtig bestellen")
    sums_box, button_box = sums.bounding_box(), button.bounding_box()
    assert 0 <= button_box["y"] - (sums_box["y"] + sums_box["height"]) < 120
    return sums.inner_text()


def test_a_big_cart_pages_its_lines_and_keeps_the_sums_above_the_button(
    page, console, alice, trunk, packages, live_server
):
    fill_cart(alice, trunk, packages, LINES_PER_PAGE + 10)
    log_in_with_cookie(page, alice, live_server)
    page.set_viewport_size(PHONE)
    page.goto(reverse("orders:cart"))
    rows = page.locator("table.cart-table tbody tr")
    expect(rows).to_have_count(LINES_PER_PAGE)
    expect(page.get_by_text("Seite 1 von 2")).to_be_visible()
    first_sums = sums_right_above_the_button(page)

    page.get_by_role("link", name="Nächste Seite").click()
    expect(page.get_by_text("Seite 2 von 2")).to_be_visible()
    expect(rows).to_have_count(10)
    assert sums_right_above_the_button(page) == first_sums

    page.get_by_role("button", name="Entfernen (Im Warenkorb 0055)").click()
    expect(page.get_by_text("Der Arbeitsplatz wurde aus dem Warenkorb entfernt.")).to_be_visible()
    expect(page.get_by_text("Seite 2 von 2")).to_be_visible()
    expect(rows).to_have_count(9)
    expect(page.locator("table.cart-table")).not_to_contain_text("korb.0055")
    assert sums_right_above_the_button(page) != first_sums
    console.assert_clean()
