"""Layout, navigation and errors in a real browser, at a desktop's 1280x800 and a phone's 390x844.

Nothing scrolls sideways on a phone, the top bar stays small (a menu button on narrow
screens) and on one line at 1280, the main navigation marks the current section, every
admin page has the same breadcrumb trail, and forms that come back with errors say so where
the eye and the focus are. Each page is checked with axe-core at both widths.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from orders.models import Order
from orders.services import cart_of
from tests.conftest import client_for
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import log_in_with_cookie
from tests.wizard_helpers import complete_draft, start_draft, step_url
from workplaces.models import Workplace

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
ERROR_RED = "rgb(176, 0, 32)"


@dataclass
class Portal:
    workplace: Workplace
    order: Order


@pytest.fixture
def portal(alice, trunk) -> Portal:
    """One ordered workplace (with its order and Protokoll entries) and one more in the cart."""
    client = client_for(alice)
    complete_draft(client, trunk, username="joerg.mueller", package="konferenz-plus")
    response = client.post(reverse("orders:place"), {"token": cart_of(alice).token})
    assert response.status_code == 302
    complete_draft(client, trunk, username="j.mueller.bonn", package="konferenz-premium")
    workplace = Workplace.objects.get(username="joerg.mueller")
    return Portal(workplace=workplace, order=Order.objects.get())


def pages(portal: Portal) -> dict[str, tuple[str, str | None, list[str]]]:
    """Page name -> (URL, current main navigation entry, breadcrumb trail)."""
    w = portal.workplace
    trunk = w.trunk.name
    manage = "SIP-Trunk Arbeitsplätze verwalten"
    status = "Kontingente & Auftragsstatus"
    return {
        "Start": (reverse("manage:dashboard"), None, ["Start"]),
        "Übersicht": (reverse("manage:overview"), manage, ["Start", manage]),
        "Arbeitsplatz mit Verlauf": (
            reverse("manage:detail", args=[w.code]),
            manage,
            ["Start", manage, trunk, w.full_name],
        ),
        "Paket ändern": (
            reverse("orders:change_package", args=[w.code]),
            manage,
            ["Start", manage, trunk, w.full_name, "Paket ändern"],
        ),
        "Warenkorb": (reverse("orders:cart"), "Warenkorb", ["Start", "Warenkorb"]),
        "Kontingente": (reverse("orders:status"), status, ["Start", status]),
        "Auftrag": (
            reverse("orders:detail", args=[portal.order.code]),
            status,
            ["Start", status, "Ihre Aufträge", f"Auftrag {portal.order.number}"],
        ),
        "Protokoll": (reverse("portal:protokoll"), "Protokoll", ["Start", "Protokoll"]),
    }


def scroll_width(page: Page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth")


def test_no_page_scrolls_sideways_on_a_phone(page, console, alice, portal, live_server):
    log_in_with_cookie(page, alice, live_server)
    page.set_viewport_size(PHONE)
    for name, (url, _nav, _trail) in pages(portal).items():
        page.goto(url)
        assert scroll_width(page) <= PHONE["width"], f"{name} scrolls sideways on a phone"
        assert_accessible(page, f"{name} at 390x844")
    console.assert_clean()


def test_every_page_marks_its_section_and_shows_the_breadcrumb_trail(
    page, console, alice, portal, live_server
):
    log_in_with_cookie(page, alice, live_server)
    page.set_viewport_size(DESKTOP)
    nav = page.get_by_role("navigation", name="Hauptnavigation")
    crumbs = page.get_by_role("navigation", name="Sie sind hier").get_by_role("listitem")
    for name, (url, section, trail) in pages(portal).items():
        page.goto(url)
        current = nav.locator("[aria-current]")
        if section is None:
            expect(current).to_have_count(0)
        else:
            expect(current).to_have_text(section)
        expect(crumbs).to_have_text(trail)
        expect(crumbs.last.locator("[aria-current=page]")).to_have_text(trail[-1])
        assert_accessible(page, f"{name} at 1280x800")
    console.assert_clean()


def test_the_cart_repeats_its_sums_right_above_the_order_button_on_a_phone(
    page, console, alice, portal, live_server
):
    log_in_with_cookie(page, alice, live_server)
    page.set_viewport_size(DESKTOP)
    page.goto(reverse("orders:cart"))
    footer = page.locator("table tfoot tr")
    net, gross = (footer.nth(i).locator("td").first.inner_text().strip() for i in (0, 1))
    sums = page.locator(".cart-sums")
    expect(sums).to_be_hidden()  # on a desktop the table's footer has them, next to the prices

    page.set_viewport_size(PHONE)
    expect(sums).to_be_visible()
    expect(sums).to_contain_text(re.compile(rf"netto.*{re.escape(net)}"))
    expect(sums).to_contain_text(re.compile(rf"brutto.*{re.escape(gross)}"))
    button = page.get_by_role("button", name="Kostenpflichtig bestellen")
    sums_box, button_box = sums.bounding_box(), button.bounding_box()
    assert sums_box["y"] + sums_box["height"] <= button_box["y"]
    assert button_box["y"] - (sums_box["y"] + sums_box["height"]) < 120  # right above it
    assert sums_box["x"] + sums_box["width"] <= PHONE["width"]
    console.assert_clean()


def box(locator) -> dict:
    return locator.bounding_box()


def test_the_top_bar_is_small_on_a_phone_and_one_line_on_a_desktop(
    page, console, alice, portal, live_server, settings
):
    settings.DEBUG = True  # as with make run: "Postausgang" is in the navigation too
    log_in_with_cookie(page, alice, live_server)
    page.set_viewport_size(PHONE)
    page.goto(reverse("manage:overview"))
    header = page.locator("header.topbar")
    menu = page.get_by_role("button", name="Menü")
    nav = page.get_by_role("navigation", name="Hauptnavigation")
    assert box(header)["height"] < 120
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(nav).to_be_hidden()
    assert_accessible(page, "Übersicht at 390x844, menu closed")

    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(nav.get_by_role("link", name="Protokoll")).to_be_visible()
    expect(page.get_by_role("button", name="Abmelden")).to_be_visible()
    assert_accessible(page, "Übersicht at 390x844, menu open")
    nav.get_by_role("link", name="Protokoll").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Protokoll")

    page.set_viewport_size(DESKTOP)
    expect(menu).to_be_hidden()
    expect(nav).to_be_visible()
    assert box(header)["height"] < 80
    tops = {
        round(box(item)["y"])
        for item in [
            page.locator(".brand"),
            *nav.get_by_role("link").all(),
            page.get_by_label("Sprache"),
            page.get_by_role("button", name="Abmelden"),
        ]
    }
    assert max(tops) - min(tops) < 20, f"the top bar wraps at 1280: {sorted(tops)}"
    console.assert_clean()


def test_the_language_applies_when_chosen(page, console, alice, portal, live_server):
    log_in_with_cookie(page, alice, live_server)
    page.set_viewport_size(DESKTOP)
    page.goto(reverse("manage:overview"))
    expect(page.get_by_role("button", name="Sprache wechseln")).to_be_hidden()
    page.get_by_label("Sprache").select_option("en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Manage SIP trunk workstations")
    assert re.search(r"/sip-trunk/arbeitsplaetze/$", page.url)
    console.assert_clean()


def test_without_javascript_the_menu_and_the_language_button_are_there(
    browser, alice, portal, live_server
):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        log_in_with_cookie(page, alice, live_server)
        page.set_viewport_size(PHONE)
        page.goto(reverse("manage:overview"))
        expect(page.get_by_role("button", name="Menü")).to_be_hidden()
        nav = page.get_by_role("navigation", name="Hauptnavigation")
        expect(nav.get_by_role("link", name="Protokoll")).to_be_visible()
        page.get_by_label("Sprache").select_option("en")
        page.get_by_role("button", name="Sprache wechseln").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        context.close()


def test_phones_get_a_compact_stepper(page, console, alice, trunk, live_server):
    log_in_with_cookie(page, alice, live_server)
    page.set_viewport_size(PHONE)
    page.goto(reverse("wizard:start"))
    compact = page.locator(".progress-compact")
    expect(compact).to_have_text("Schritt 2 von 6 · Benutzerdaten")
    expect(page.locator("ol.progress")).to_be_hidden()
    assert box(page.locator("header.topbar"))["height"] < 120
    assert scroll_width(page) <= PHONE["width"]
    assert_accessible(page, "Schritt 2 at 390x844")
    page.set_viewport_size(DESKTOP)
    expect(compact).to_be_hidden()
    expect(page.locator("ol.progress")).to_be_visible()
    console.assert_clean()


def border_colour(locator) -> str:
    return locator.evaluate("element => getComputedStyle(element).borderTopColor")


def focused_id(page: Page) -> str:
    return page.evaluate("() => document.activeElement && document.activeElement.id")


def test_errors_show_in_red_with_a_summary_that_takes_the_focus(
    page, console, alice, portal, live_server
):
    log_in_with_cookie(page, alice, live_server)
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        # The wizard's step 2 comes back through htmx.
        page.goto(reverse("wizard:start"))
        page.get_by_role("textbox", name=re.compile(r"^Straße")).fill("Friedrich-Ebert-Allee")
        page.get_by_role("button", name="Weiter").click()
        summary = page.locator(".error-summary")
        expect(summary).to_be_visible()
        expect(summary).to_be_focused()
        vorname = page.get_by_role("textbox", name=re.compile(r"^Vorname"))
        strasse = page.get_by_role("textbox", name=re.compile(r"^Straße"))
        expect(vorname).to_have_attribute("aria-invalid", "true")
        assert border_colour(vorname) == ERROR_RED
        assert border_colour(strasse) != border_colour(vorname)
        link = summary.get_by_role("link", name=re.compile(r"^Vorname: "))
        link.click()
        expect(vorname).to_be_focused()
        assert_accessible(page, f"Schritt 2 with errors at {size['width']}")

    # A form without htmx: the whole page comes back, the focus goes to the summary too.
    page.set_viewport_size(DESKTOP)
    page.goto(reverse("manage:edit", args=[portal.workplace.code]))
    page.get_by_role("textbox", name=re.compile(r"^Vorname")).fill("")
    page.get_by_role("button", name="Speichern").click()
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.locator(".error-summary")).to_contain_text("Vorname")
    assert_accessible(page, "Bearbeiten with errors")
    console.assert_clean()


def test_step_3_follows_its_checkboxes(page, console, alice, trunk, live_server):
    draft = start_draft(client_for(alice), trunk)
    log_in_with_cookie(page, alice, live_server)
    page.set_viewport_size(PHONE)
    page.goto(step_url(draft, "benutzeranmeldung"))
    channel = page.locator("#password-channel")
    without_mobile = page.get_by_role("checkbox", name="Authentifizierung ohne Mobilfunknummer")
    expect(channel).to_contain_text("per SMS")
    without_mobile.check()
    expect(channel).to_contain_text("Passwort-Zustellung per E-Mail")
    expect(channel).not_to_contain_text("per SMS")
    without_mobile.uncheck()
    expect(channel).to_contain_text("per SMS")

    take_over = page.get_by_role("checkbox", name="E-Mail-Adresse aus den Benutzerdaten übernehmen")
    auth_email, repeat = page.locator("#id_auth_email"), page.locator("#id_auth_email_repeat")
    expect(auth_email).to_be_visible()
    take_over.check()
    expect(auth_email).to_be_hidden()
    expect(repeat).to_be_hidden()
    assert auth_email.input_value() == repeat.input_value() == draft.email
    assert_accessible(page, "Schritt 3, E-Mail übernommen")
    take_over.uncheck()
    expect(auth_email).to_be_visible()
    take_over.check()
    page.get_by_role("textbox", name=re.compile(r"^Mobilfunknummer")).fill("0170 1234567")
    page.get_by_role("button", name="Weiter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rufnummer zuweisen")
    draft.refresh_from_db()
    assert draft.auth_email == draft.email
    console.assert_clean()
