"""Several admins in a real browser: alice invites a Leser, the invitee accepts the link
from the outbox's e-mail, sets up the second factor (the code computed from the key the page
shows, as an app would), logs out and in again with a code, and finds no change button.
Every new page is checked with axe-core; the console stays free of CSP violations."""

from __future__ import annotations

import base64
import re

import pytest
from django.core import mail
from django_otp.oath import totp
from playwright.sync_api import Page, expect

from tests.conftest import wait_for
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import log_in_with_cookie
from tests.e2e.test_layout_browser import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Leise-lesen-am-Rhein-7"


def app_code(key: str, *, ahead: int = 0) -> str:
    """What an authenticator app shows for the key from the setup page (``ahead`` steps on:
    the step a code was accepted in is not accepted twice)."""
    key = key.replace(" ", "")
    return f"{totp(base64.b32decode(key + '=' * (-len(key) % 8)), drift=ahead):06d}"


def labelled(page: Page, label: str):
    return page.get_by_label(re.compile(rf"^{re.escape(label)}( \*)?( \(Pflichtfeld\))?$"))


def invitation_link() -> str:
    message = wait_for(
        lambda: next((m for m in mail.outbox if m.subject.startswith("Einladung")), None),
        what="the invitation e-mail",
    )
    return re.search(r"https?://[^/\s]+(/einladung/\S+/)", message.body).group(1)


def test_an_invited_reader_sets_up_two_factor_login_and_changes_nothing(
    browser, page, console, alice, trunk, live_server
):
    log_in_with_cookie(page, alice, live_server)
    page.set_viewport_size(DESKTOP)
    page.goto("/")
    page.get_by_text("Verwaltung").click()
    page.get_by_role("link", name="Administratoren").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Administratoren")
    assert_accessible(page, "Administratoren at 1280x800")
    page.get_by_label("Zwei-Faktor-Anmeldung für alle Administratoren").check()
    page.get_by_role("button", name="Speichern").click()
    page.get_by_role("link", name="Administrator einladen").click()
    assert_accessible(page, "Administrator einladen")
    labelled(page, "E-Mail-Adresse").fill("lea@example.com")
    page.get_by_label("Leser").check()
    page.get_by_role("button", name="Einladung senden").click()
    expect(page.get_by_role("status")).to_contain_text("Die Einladung an lea@example.com")
    expect(page.get_by_role("cell", name="lea@example.com")).to_be_visible()

    invitee = browser.new_context(base_url=live_server.url, locale="de-DE").new_page()
    invitee.on("console", console.on_console)
    invitee.set_viewport_size(PHONE)
    invitee.goto(invitation_link())
    expect(invitee.get_by_role("heading", level=1)).to_have_text("Einladung annehmen")
    assert "/einladung/" in invitee.url and len(invitee.url.rstrip("/").split("/")[-1]) < 20
    assert_accessible(invitee, "Einladung annehmen at 390x844")
    labelled(invitee, "Benutzername").fill("lea.leser")
    labelled(invitee, "Passwort").fill(PASSWORD)
    labelled(invitee, "Passwort wiederholen").fill(PASSWORD)
    invitee.get_by_role("button", name="Konto anlegen").click()

    expect(invitee.get_by_role("heading", level=1)).to_have_text("Zwei-Faktor-Anmeldung einrichten")
    assert_accessible(invitee, "Zwei-Faktor einrichten at 390x844")
    expect(invitee.locator(".qr svg")).to_be_visible()
    key = invitee.locator("#totp-key").inner_text()
    labelled(invitee, "Code").fill(app_code(key))
    invitee.get_by_role("button", name="Einrichten").click()
    expect(invitee.locator(".recovery-codes li")).to_have_count(10)
    assert_accessible(invitee, "Wiederherstellungscodes at 390x844")
    invitee.get_by_role("link", name="Weiter").click()

    invitee.get_by_role("button", name="Menü").click()
    invitee.get_by_role("button", name="Abmelden").click()
    labelled(invitee, "Benutzername").fill("lea.leser")
    labelled(invitee, "Passwort").fill(PASSWORD)
    invitee.get_by_role("button", name="Anmelden").click()
    expect(invitee.get_by_role("heading", level=1)).to_have_text("Code eingeben")
    assert_accessible(invitee, "Code eingeben at 390x844")
    labelled(invitee, "Code").fill(app_code(key, ahead=1))
    invitee.get_by_role("button", name="Bestätigen").click()
    expect(invitee.get_by_role("heading", level=1)).to_contain_text("Willkommen")

    # A Leser: no change button, no cart; a change page is the German 403 page.
    invitee.set_viewport_size(DESKTOP)
    invitee.goto("/sip-trunk/arbeitsplaetze/")
    expect(invitee.get_by_role("heading", level=1)).to_be_visible()
    for label in ("SIP-Trunk Arbeitsplatz einrichten", "Arbeitsplätze importieren", "Warenkorb"):
        expect(invitee.get_by_role("link", name=label)).to_have_count(0)
    expect(invitee.get_by_text("Verwaltung")).to_have_count(0)
    console.assert_clean()  # the 403 below is logged by the browser as a failed load
    invitee.goto("/sip-trunk/einrichten/")
    expect(invitee.get_by_role("heading", level=1)).to_have_text("Keine Berechtigung")
    assert_accessible(invitee, "403 at 1280x800")
