"""MyPortal in a real browser, with the temporary password the order actually sent.

The admin orders through the wizard (test client, same process); the outbox delivers on
commit, so the SMS sits in ``LocmemSmsBackend.outbox`` and the e-mail in ``mail.outbox``.
The end user then logs in with it, must set an own password, logs out and in again. Every
page is checked with axe-core, and the console must stay free of CSP violations and errors.
"""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.urls import reverse
from playwright.sync_api import Page, expect

from notifications.sms import LocmemSmsBackend
from orders.services import cart_of
from tests.conftest import client_for
from tests.e2e.axe import assert_accessible
from tests.wizard_helpers import complete_draft
from workplaces.models import Workplace

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OWN_PASSWORD = "Sonnenblume-am-Rhein-42"


def order_workplace(admin, trunk, *, username: str, mobile: str) -> Workplace:
    client = client_for(admin)
    complete_draft(client, trunk, username=username, mobile=mobile, package="konferenz-premium")
    response = client.post(reverse("orders:place"), {"token": cart_of(admin).token})
    assert response.status_code == 302
    workplace = Workplace.objects.select_related("number").get(username=username)
    assert workplace.status == Workplace.Status.ACTIVE
    return workplace


def password_from_sms(to: str) -> str:
    sms = [m for m in LocmemSmsBackend.outbox if m["to"] == to]
    return re.search(r"lautet (\S+) -", sms[-1]["body"]).group(1)


def password_from_mail(outbox, subject: str) -> str:
    message = [m for m in outbox if m.subject == subject][-1]
    return re.search(r"lautet:\n\n +(\S+)\n", message.body).group(1)


def labelled(page: Page, label: str):
    """The input labelled ``label``; required fields add "* (Pflichtfeld)" to the label."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}( \*)?( \(Pflichtfeld\))?$"))


def expect_heading(page: Page, text: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(text)


def log_in(page: Page, username: str, password: str) -> None:
    expect_heading(page, "Anmelden bei MyPortal")
    labelled(page, "Benutzername").fill(username)
    labelled(page, "Passwort").fill(password)
    page.get_by_role("button", name="Anmelden").click()


def set_own_password(page: Page) -> None:
    """The forced "Passwort ändern": a weak password is refused next to its field first."""
    expect(page).to_have_url(re.compile(r"/myportal/passwort/$"))
    expect_heading(page, "Passwort ändern")
    expect(page.get_by_role("status")).to_contain_text("temporären Passwort angemeldet")
    # Nothing else opens before the password is changed.
    expect(page.get_by_role("link", name="Mein Arbeitsplatz")).to_have_count(0)
    page.goto("/myportal/")
    expect(page).to_have_url(re.compile(r"/myportal/passwort/$"))
    assert_accessible(page, "Passwort ändern")

    # The temporary password was typed a moment ago: it is not asked for again.
    expect(labelled(page, "Bisheriges Passwort")).to_have_count(0)
    labelled(page, "Neues Passwort").fill("1234567890")
    labelled(page, "Neues Passwort wiederholen").fill("1234567890")
    page.get_by_role("button", name="Passwort speichern").click()
    # Every rule it breaks, at once.
    errors = page.locator("#id_new_password_error")
    expect(errors).to_contain_text("Das Passwort darf nicht nur aus Ziffern bestehen.")
    expect(errors).to_contain_text("Das Passwort ist zu verbreitet und daher leicht zu erraten.")
    expect(labelled(page, "Neues Passwort")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page, "Passwort ändern mit Fehlermeldung")

    labelled(page, "Neues Passwort").fill(OWN_PASSWORD)
    labelled(page, "Neues Passwort wiederholen").fill(OWN_PASSWORD)
    page.get_by_role("button", name="Passwort speichern").click()


def expect_workplace_page(page: Page, workplace: Workplace) -> None:
    expect(page).to_have_url(re.compile(r"/myportal/$"))
    expect_heading(page, "Mein Arbeitsplatz")
    summary = page.locator("dl.summary")
    expect(summary).to_contain_text(workplace.full_name)
    expect(summary).to_contain_text(workplace.number.national)
    expect(summary).to_contain_text(f"international: {workplace.number.international}")
    expect(summary).to_contain_text("Zentrale Bonn")
    expect(summary).to_contain_text("Demo GmbH")
    expect(summary).to_contain_text("Konferenz Premium")
    expect(summary).to_contain_text("Bildschirm teilen")
    for client in ("Desktop-Client", "Mobile-Client", "Tablet-Client"):
        expect(page.get_by_role("heading", name=client)).to_be_visible()
    assert_accessible(page, "Mein Arbeitsplatz")


def first_login_then_again(page: Page, workplace: Workplace, temporary: str) -> None:
    page.goto("/myportal/")
    expect(page).to_have_url(re.compile(r"/myportal/anmelden/\?next=/myportal/$"))
    assert_accessible(page, "Anmelden bei MyPortal")
    log_in(page, workplace.username, temporary)
    set_own_password(page)
    expect(page.get_by_role("status")).to_contain_text("Ihr neues Passwort ist gespeichert.")
    expect_workplace_page(page, workplace)

    page.get_by_role("button", name="Abmelden").click()
    expect(page).to_have_url(re.compile(r"/myportal/anmelden/$"))
    # The temporary password is used up ...
    log_in(page, workplace.username, temporary)
    expect(page.get_by_role("alert")).to_contain_text(
        "Benutzername oder Passwort sind nicht korrekt."
    )
    assert_accessible(page, "Anmelden mit Fehlermeldung")
    # ... the own one opens the workplace page straight away.
    log_in(page, workplace.username, OWN_PASSWORD)
    expect_workplace_page(page, workplace)


def test_with_the_password_from_the_sms(page, console, alice, trunk):
    workplace = order_workplace(alice, trunk, username="erika.muster", mobile="0170 1234567")
    temporary = password_from_sms("+491701234567")
    first_login_then_again(page, workplace, temporary)
    console.assert_clean()


def test_with_the_password_from_the_email_then_forgotten(page, console, alice, trunk, mailoutbox):
    cache.clear()  # "Passwort vergessen" counts requests per address in the process's cache
    workplace = order_workplace(alice, trunk, username="max.ohnehandy", mobile="")
    temporary = password_from_mail(mailoutbox, "Ihr temporäres Passwort für MyPortal")
    first_login_then_again(page, workplace, temporary)

    page.get_by_role("button", name="Abmelden").click()
    page.get_by_role("link", name="Passwort vergessen?").click()
    expect_heading(page, "Passwort vergessen")
    assert_accessible(page, "Passwort vergessen")
    labelled(page, "Benutzername").fill(workplace.username)
    page.get_by_role("button", name="Neues Passwort anfordern").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Wenn zu diesem Benutzernamen ein aktiver Zugang besteht"
    )
    new_temporary = password_from_mail(mailoutbox, "Ihr neues temporäres Passwort für MyPortal")
    assert new_temporary != temporary
    log_in(page, workplace.username, new_temporary)
    expect_heading(page, "Passwort ändern")
    console.assert_clean()
