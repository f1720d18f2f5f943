"""The overview in a real browser (issue 16, item 6): the search covers all trunks with a
SIP-Trunk column, "Filter zurücksetzen" clears it, and the trunk chosen last is remembered."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import client_for, make_trunk
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import log_in_with_cookie
from tests.manage_helpers import order_new_workplace

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def rows(page: Page):
    return page.locator("#list-heading ~ table tbody tr")


def test_the_overview_searches_both_trunks_and_resets_its_filters(
    page: Page, live_server, alice, trunk, demo_customer, console
):
    koeln = make_trunk(demo_customer, "Zweigstelle Köln", "+4922155500", 10, 99)
    client = client_for(alice)
    order_new_workplace(client, alice, trunk, username="joerg.mueller")
    order_new_workplace(
        client, alice, koeln, username="maria.koch", first_name="Maria", last_name="Koch"
    )
    log_in_with_cookie(page, alice, live_server)

    page.goto("/sip-trunk/arbeitsplaetze/")
    tabs = page.get_by_role("navigation", name="SIP-Trunk wechseln")
    expect(tabs.get_by_role("link", name="Alle SIP-Trunks")).to_have_attribute(
        "aria-current", "page"
    )
    expect(page.get_by_role("heading", name="Arbeitsplätze auf allen SIP-Trunks")).to_be_visible()
    expect(page.get_by_role("columnheader", name="SIP-Trunk")).to_be_visible()
    expect(rows(page)).to_have_count(2)
    assert_accessible(page, "Arbeitsplätze verwalten, alle SIP-Trunks")

    # A search finds the person on the other trunk, and says on which.
    page.get_by_role("textbox", name="Suche nach Name, Benutzername oder Rufnummer").fill("Koch")
    page.get_by_role("button", name="Suchen").click()
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text("Maria Koch")
    expect(rows(page).first.get_by_role("cell", name="Zweigstelle Köln")).to_be_visible()

    page.get_by_role("link", name="Filter zurücksetzen").click()
    expect(rows(page)).to_have_count(2)
    expect(
        page.get_by_role("textbox", name="Suche nach Name, Benutzername oder Rufnummer")
    ).to_have_value("")
    expect(page.get_by_role("link", name="Filter zurücksetzen")).to_have_count(0)

    # One trunk chosen: no SIP-Trunk column, and the next visit comes back to it.
    tabs.get_by_role("link", name="Zweigstelle Köln").click()
    expect(page.get_by_role("heading", name="Arbeitsplätze auf Zweigstelle Köln")).to_be_visible()
    expect(page.get_by_role("columnheader", name="SIP-Trunk")).to_have_count(0)
    page.goto("/sip-trunk/arbeitsplaetze/")
    expect(page).to_have_url(re.compile(r"/sip-trunk/arbeitsplaetze/$"))
    expect(rows(page)).to_have_count(1)
    expect(tabs.get_by_role("link", name="Zweigstelle Köln")).to_have_attribute(
        "aria-current", "page"
    )
    console.assert_clean()
