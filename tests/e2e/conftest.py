"""Browser tests: Playwright's sync API drives Debian's Chromium against pytest-django's live server.

No pytest-playwright: the browser, the page and the console capture are plain fixtures here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from orders.services import cart_of
from tests.conftest import client_for, require_service
from tests.wizard_helpers import login_data, start_draft, step_url

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TIMEOUT_MS = 10_000


@pytest.fixture(scope="package")
def browser():
    """One Chromium for the tests of this folder, stopped after them.

    Playwright's sync API keeps an asyncio loop running in the main thread while it is
    started, so Django's ORM would raise SynchronousOnlyOperation in the test bodies:
    DJANGO_ALLOW_ASYNC_UNSAFE allows it, for this folder only, and package scope ends the
    loop before the rest of the suite runs.
    """
    if not CHROMIUM.exists():
        require_service("browser", False, f"{CHROMIUM} not found (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            yield browser
            browser.close()


@dataclass
class ConsoleLog:
    """What the page reported: CSP violations, other console errors, uncaught exceptions."""

    csp: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def on_console(self, message) -> None:
        if message.type != "error":
            return
        url = message.location.get("url", "")
        if url.endswith("/favicon.ico"):  # Chromium asks for it; the portal has none
            return
        text = f"{message.text} ({url})"
        (self.csp if "Content Security Policy" in message.text else self.errors).append(text)

    def on_page_error(self, error) -> None:
        self.errors.append(f"uncaught: {error}")

    def assert_clean(self) -> None:
        assert not self.csp, "CSP violations in the browser console:\n" + "\n".join(self.csp)
        assert not self.errors, "Errors in the browser console:\n" + "\n".join(self.errors)


@pytest.fixture
def console() -> ConsoleLog:
    return ConsoleLog()


@pytest.fixture
def page(browser, live_server, console):
    context = browser.new_context(base_url=live_server.url, locale="de-DE")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.on("console", console.on_console)
    page.on("pageerror", console.on_page_error)
    yield page
    context.close()


def log_in_with_cookie(page, user, live_server) -> None:
    """Skip the login form: a session made by Django's test client, handed to the browser."""
    client = client_for(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )


@dataclass
class HeldNumbers:
    taken: object  # assigned to bob's ordered workplace "Jörg Müller (joerg.mueller)"
    reserved: object  # held by bob's open draft for "Jana Schmidt"


@pytest.fixture
def held_numbers(bob, trunk) -> HeldNumbers:
    """Two numbers of the trunk that others hold: one ordered, one reserved in a draft."""
    taken, reserved = trunk.numbers.order_by("e164")[:2]
    client = client_for(bob)
    draft = start_draft(client, trunk)
    for slug, data in (
        ("benutzeranmeldung", login_data("joerg.mueller")),
        ("rufnummer", {"number": taken.e164}),
        ("konferenzpaket", {"package": "none"}),
        ("warenkorb", {}),
    ):
        response = client.post(step_url(draft, slug), data)
        assert response.status_code == 302, response.content.decode()[:2000]
    response = client.post(reverse("orders:place"), {"token": cart_of(bob).token})
    assert response.status_code == 302
    jana = {**_person("Jana", "Schmidt"), "email": "jana.schmidt@example.com"}
    draft = start_draft(client, trunk, jana)
    for slug, data in (
        ("benutzeranmeldung", login_data("jana.schmidt")),
        ("rufnummer", {"number": reserved.e164}),
    ):
        response = client.post(step_url(draft, slug), data)
        assert response.status_code == 302, response.content.decode()[:2000]
    return HeldNumbers(taken=taken, reserved=reserved)


def _person(first: str, last: str) -> dict:
    return {
        "first_name": first,
        "last_name": last,
        "street": "Friedrich-Ebert-Allee",
        "house_number": "140",
        "postcode": "53113",
        "city": "Bonn",
    }
