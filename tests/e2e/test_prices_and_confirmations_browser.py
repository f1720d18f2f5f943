"""What an admin sees before harm and before paying (issue 16, items 2 and 3), in a browser.

The password reset asks first and can be cancelled; a scheduled cancellation can be taken
back; step 5, the summary and the cart show prices that add up.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from playwright.sync_api import Page, expect

from catalog.models import Package
from orders import services as order_services
from portal.policy import Actor
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import log_in_with_cookie
from tests.manage_helpers import detail_url, order_new_workplace
from tests.wizard_helpers import login_data, start_draft, step_url
from workplaces.models import Workplace

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PLUS_LINE = "Arbeitsplatz 6,90 € + Konferenz Plus 9,90 € = 16,80 € netto/Monat"


@pytest.fixture
def joerg(alice, trunk) -> Workplace:
    """Jörg Müller, active since today with Konferenz Plus, password by SMS."""
    client = Client()
    client.force_login(alice)
    return order_new_workplace(client, alice, trunk, username="joerg.mueller")


def test_step_5_and_the_summary_show_what_the_workplace_costs_a_month(
    page: Page, console, alice, trunk, live_server
):
    client = Client()
    client.force_login(alice)
    draft = start_draft(client, trunk)
    client.post(step_url(draft, "benutzeranmeldung"), login_data())
    number = trunk.numbers.free().order_by("e164").first()
    client.post(step_url(draft, "rufnummer"), {"number": number.e164})
    log_in_with_cookie(page, alice, live_server)

    page.goto(step_url(draft, "konferenzpaket"))
    plus = page.locator(".choice", has=page.get_by_role("radio", name="Konferenz Plus"))
    expect(plus).to_contain_text(PLUS_LINE)
    none = page.locator(".choice", has=page.get_by_role("radio", name="Kein Konferenzpaket"))
    expect(none).to_contain_text("Arbeitsplatz 6,90 € + Kein Konferenzpaket = 6,90 € netto/Monat")
    assert_accessible(page, "Schritt 5 mit Preisen")
    page.get_by_role("radio", name="Konferenz Plus").check()
    page.get_by_role("button", name="Weiter").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Warenkorb")
    expect(page.locator("dl.summary")).to_contain_text(PLUS_LINE)
    console.assert_clean()


def test_the_cart_shows_a_package_change_as_before_after_and_difference(
    page: Page, console, alice, joerg, live_server
):
    order_services.add_package_change(
        actor=Actor.for_admin(alice),
        workplace=joerg,
        package=Package.objects.get(code="konferenz-premium"),
    )
    log_in_with_cookie(page, alice, live_server)
    page.goto("/sip-trunk/warenkorb/")
    row = page.get_by_role("row", name=re.compile("Paketwechsel"))
    expect(row).to_contain_text("bisher 16,80 € → neu 21,80 € (+5,00 €)")
    expect(page.locator("tfoot")).to_contain_text("+5,00 €")
    expect(page.locator("tfoot")).not_to_contain_text("14,90")
    assert_accessible(page, "Warenkorb mit Paketwechsel")
    console.assert_clean()


def test_a_password_reset_asks_first_and_can_be_cancelled(
    page: Page, console, alice, joerg, live_server
):
    password = joerg.user.password
    log_in_with_cookie(page, alice, live_server)
    page.goto(detail_url(joerg))
    page.get_by_role("link", name="Passwort zurücksetzen").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Passwort von Jörg Müller zurücksetzen?"
    )
    expect(page.locator("main")).to_contain_text(
        "Ein neues temporäres Passwort geht per SMS an 0170 1234567."
    )
    assert_accessible(page, "Passwort zurücksetzen bestätigen")
    page.get_by_role("link", name="Abbrechen").click()
    expect(page).to_have_url(re.compile(re.escape(detail_url(joerg)) + "$"))
    joerg.user.refresh_from_db()
    assert joerg.user.password == password, "looking and cancelling changes nothing"

    page.get_by_role("link", name="Passwort zurücksetzen").click()
    page.get_by_role("button", name="Passwort zurücksetzen").click()
    expect(page.locator("main")).to_contain_text("Ein neues temporäres Passwort ist unterwegs")
    joerg.user.refresh_from_db()
    assert joerg.user.password != password
    console.assert_clean()


def test_a_scheduled_cancellation_can_be_taken_back_until_its_date(
    page: Page, console, alice, joerg, live_server
):
    log_in_with_cookie(page, alice, live_server)
    page.goto(detail_url(joerg))
    page.get_by_role("link", name="Löschen").click()
    page.get_by_role("button", name="Kündigung vormerken").click()

    expect(page.locator("main")).to_contain_text("Kündigung vorgemerkt zum")
    expect(page.get_by_role("link", name="Bearbeiten")).to_be_visible()
    expect(page.get_by_role("link", name="Passwort zurücksetzen")).to_be_visible()
    assert_accessible(page, "Arbeitsplatz mit vorgemerkter Kündigung")
    page.get_by_role("button", name="Kündigung zurücknehmen").click()

    expect(page.locator("main")).to_contain_text(
        "Die Kündigung ist zurückgenommen. Der Arbeitsplatz bleibt bestehen."
    )
    expect(page.get_by_role("button", name="Kündigung zurücknehmen")).to_have_count(0)
    expect(page.get_by_role("link", name="Löschen")).to_be_visible()
    joerg.refresh_from_db()
    assert joerg.status == Workplace.Status.ACTIVE and joerg.cancel_on is None
    console.assert_clean()
