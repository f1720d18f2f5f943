"""The setup wizard in a real browser: both credential paths, all six steps, to a placed order.

Each page of the run is checked with axe-core (no serious or critical violation) and the
browser console must stay free of CSP violations and script errors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import make_trunk
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import HeldNumbers, log_in_with_cookie
from workplaces.models import Workplace

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@dataclass
class Person:
    first_name: str
    last_name: str
    username: str
    auth_email: str
    mobile: str = ""

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


def field(page: Page, label: str):
    """The text box named ``label``; required fields add "(Pflichtfeld)" for screen readers."""
    return page.get_by_role("textbox", name=re.compile(rf"^{re.escape(label)}( \(Pflichtfeld\))?$"))


def expect_step(page: Page, title: str, number: int) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    current = page.locator('.progress [aria-current="step"]')
    expect(current).to_contain_text(title)
    expect(current).to_contain_text(str(number))


def log_in_with_form(page: Page, username: str, password: str) -> None:
    page.goto("/anmelden/")
    assert_accessible(page, "Anmelden")
    field(page, "Benutzername").fill(username)
    field(page, "Passwort").fill(password)
    page.get_by_role("button", name="Anmelden").click()
    expect(page).not_to_have_url(re.compile(r"/anmelden/"))


def choose_trunk(page: Page, trunk) -> None:
    """Step 1, shown when the customer has more than one trunk."""
    page.goto("/sip-trunk/einrichten/")
    expect_step(page, "SIP-Trunk", 1)
    assert_accessible(page, "Schritt 1, SIP-Trunk")
    page.get_by_role("radio", name=trunk.name).check()
    page.get_by_role("button", name="Weiter").click()


def fill_user_data(page: Page, person: Person) -> None:
    """Step 2."""
    expect(page).to_have_url(re.compile(r"/sip-trunk/einrichten/trunk/[^/]+/$"))
    expect_step(page, "Benutzerdaten", 2)
    assert_accessible(page, "Schritt 2, Benutzerdaten")
    field(page, "Vorname").fill(person.first_name)
    field(page, "Nachname").fill(person.last_name)
    field(page, "Straße").fill("Friedrich-Ebert-Allee")
    field(page, "Hausnummer").fill("140")
    field(page, "PLZ").fill("53113")
    field(page, "Ort").fill("Bonn")
    field(page, "E-Mail-Adresse").fill(f"{person.username}@example.com")
    page.get_by_role("button", name="Weiter").click()


def fill_login_data(page: Page, person: Person) -> None:
    """Step 3: username and how the credentials travel (SMS, or e-mail without a mobile)."""
    expect_step(page, "Benutzeranmeldung", 3)
    username = field(page, "Benutzername")
    suggestion = f"{person.first_name}.{person.last_name}".lower()
    expect(username).to_have_value(suggestion)
    assert_accessible(page, "Schritt 3, Benutzeranmeldung")
    assert person.username != suggestion  # else typing it changes nothing and htmx stays idle
    username.fill(person.username)
    expect(page.locator("#id_username_error")).to_have_text(f"✓ „{person.username}“ ist frei.")
    field(page, "E-Mail-Adresse zur Authentifizierung").fill(person.auth_email)
    field(page, "E-Mail-Adresse wiederholen").fill(person.auth_email)
    without_mobile = page.get_by_role("checkbox", name="Authentifizierung ohne Mobilfunknummer")
    if person.mobile:
        field(page, "Mobilfunknummer").fill(person.mobile)
        expect(without_mobile).not_to_be_checked()
    else:
        # Both given is refused by the server; the form comes back through htmx.
        field(page, "Mobilfunknummer").fill("0170 7654321")
        without_mobile.check()
        page.get_by_role("button", name="Weiter").click()
        expect(page.locator("#id_mobile_error")).to_contain_text(
            "Authentifizierung ohne Mobilfunknummer"
        )
        expect(field(page, "Mobilfunknummer")).to_have_attribute("aria-invalid", "true")
        assert_accessible(page, "Schritt 3 mit Fehlermeldung")
        field(page, "Mobilfunknummer").fill("")
        expect(without_mobile).to_be_checked()
    page.get_by_role("button", name="Weiter").click()


def choose_number(page: Page, held: HeldNumbers, trunk) -> str:
    """Step 4: numbers held by others are shown, say who holds them and cannot be chosen."""
    expect_step(page, "Rufnummer zuweisen", 4)
    assert_accessible(page, "Schritt 4, Rufnummer zuweisen")

    # The defaults: only free numbers, the next free one checked, paging by "Nächste Seite".
    only_free = page.get_by_role("checkbox", name="Nur freie Rufnummern")
    expect(only_free).to_be_checked()
    expect(page.get_by_role("radio", name=held.taken.national)).to_have_count(0)
    free = trunk.numbers.free().order_by("e164").first()
    expect(page.get_by_role("radio", name=free.national)).to_be_checked()
    paging = page.get_by_role("navigation", name="Seiten")
    expect(paging.get_by_role("link", name="Nächste Seite")).to_be_visible()
    expect(paging.get_by_role("link", name="Weiter")).to_have_count(0)
    expect(page.get_by_role("button", name="Weiter")).to_have_count(1)

    # Unticked, the list shows every number, the held ones too (htmx re-renders it).
    only_free.uncheck()
    taken = page.get_by_role("radio", name=held.taken.national)
    expect(taken).to_be_disabled()
    expect(page.locator(f'[id="number-{held.taken.e164}-status"]')).to_have_text(
        "● vergeben an Jörg Müller (joerg.mueller)"
    )
    reserved = page.get_by_role("radio", name=held.reserved.national)
    expect(reserved).to_be_disabled()
    expect(page.locator(f'[id="number-{held.reserved.e164}-status"]')).to_contain_text(
        "reserviert in einer Einrichtung von bob (Jana Schmidt)"
    )
    # A click on a held number does not select it.
    taken.click(force=True)
    expect(taken).not_to_be_checked()
    # Nor does the server take it when the page is tampered with to send it anyway.
    taken.evaluate("radio => { radio.disabled = false; radio.checked = true; }")
    page.get_by_role("button", name="Weiter").click()
    expect(page.locator("#id_number_error")).to_have_text(
        f"Die Rufnummer {held.taken.national} ist bereits vergeben. Bitte wählen Sie eine andere."
    )
    expect_step(page, "Rufnummer zuweisen", 4)
    # The page comes back as first shown (only free numbers): the held one is not offered.
    expect(taken).to_have_count(0)
    assert_accessible(page, "Schritt 4 mit Fehlermeldung")

    assert free.pk not in (held.taken.pk, held.reserved.pk)
    choice = page.get_by_role("radio", name=free.national)
    expect(choice).to_be_enabled()
    choice.check()
    page.get_by_role("button", name="Weiter").click()
    return free.national


def choose_package(page: Page, package_label: str) -> None:
    """Step 5."""
    expect_step(page, "Konferenzpaket buchen", 5)
    assert_accessible(page, "Schritt 5, Konferenzpaket buchen")
    page.get_by_role("radio", name=package_label).check()
    page.get_by_role("button", name="Weiter").click()


def put_into_cart(page: Page, person: Person, number: str, package_label: str) -> None:
    """Step 6: the summary, then "In den Warenkorb"."""
    expect_step(page, "Warenkorb", 6)
    summary = page.locator("dl.summary")
    expect(summary).to_contain_text(person.full_name)
    expect(summary).to_contain_text(person.username)
    expect(summary).to_contain_text(number)
    expect(summary).to_contain_text(package_label)
    if person.mobile:
        expect(summary).to_contain_text("Passwort per SMS an")
    else:
        expect(summary).to_contain_text("Authentifizierung ohne Mobilfunknummer")
    assert_accessible(page, "Schritt 6, Warenkorb (Zusammenfassung)")
    page.get_by_role("button", name="In den Warenkorb").click()


def place_order(page: Page, person: Person, number: str) -> None:
    """The cart page, "Kostenpflichtig bestellen", then the order page until it is done."""
    expect(page).to_have_url(re.compile(r"/sip-trunk/warenkorb/$"))
    row = page.get_by_role("row").filter(has_text=person.full_name)
    expect(row).to_contain_text(number)
    assert_accessible(page, "Warenkorb")
    page.get_by_role("button", name="Kostenpflichtig bestellen").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Auftrag")
    expect(page.locator("#order-state [role=status]")).to_contain_text("Abgeschlossen")
    item = page.get_by_role("row", name="Neuer SIP-Trunk Arbeitsplatz")
    expect(item.filter(has_text=person.full_name)).to_contain_text("Aktiv")
    # The message table names the person each message is for.
    welcome = page.get_by_role("row").filter(has_text="Begrüßungs-E-Mail")
    expect(welcome).to_contain_text(f"{person.full_name} ({person.username})")
    assert_accessible(page, "Auftrag")


def walk_wizard(page, person, held, trunk, package_label) -> None:
    fill_user_data(page, person)
    fill_login_data(page, person)
    number = choose_number(page, held, trunk)
    choose_package(page, package_label)
    put_into_cart(page, person, number, package_label)
    place_order(page, person, number)


def test_with_mobile_number(page, console, alice, trunk, held_numbers):
    person = Person("Erika", "Musterfrau", "musterfrau.e", "erika@example.com", "0170 1234567")
    log_in_with_form(page, "alice", "Secret-Pass-1")
    # Demo GmbH has one trunk, so the wizard skips step 1 and opens step 2.
    page.goto("/sip-trunk/einrichten/")
    walk_wizard(page, person, held_numbers, trunk, "Konferenz Plus")

    workplace = Workplace.objects.select_related("package", "number").get(username=person.username)
    assert workplace.status == Workplace.Status.ACTIVE
    assert workplace.package.code == "konferenz-plus"
    assert workplace.mobile
    assert workplace.number.pk not in (held_numbers.taken.pk, held_numbers.reserved.pk)
    console.assert_clean()


def test_without_mobile_number(page, console, alice, trunk, held_numbers, live_server):
    person = Person("Max", "Mustermann", "mustermann.m", "max@example.com")
    make_trunk(trunk.customer, "Filiale Siegburg", "+492241123", 10, 19)
    log_in_with_cookie(page, alice, live_server)
    # With a second trunk, the wizard starts at step 1.
    choose_trunk(page, trunk)
    walk_wizard(page, person, held_numbers, trunk, "Kein Konferenzpaket")

    workplace = Workplace.objects.get(username=person.username)
    assert workplace.status == Workplace.Status.ACTIVE
    assert workplace.package is None
    assert workplace.mobile == ""
    console.assert_clean()
