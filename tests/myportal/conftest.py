"""MyPortal fixtures: workplaces ordered through the wizard, their passwords from the outbox."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from notifications.sms import LocmemSmsBackend
from orders.services import cart_of
from tests.wizard_helpers import complete_draft
from workplaces.models import Workplace

MYPORTAL_LOGIN = reverse("myportal:login")
MYPORTAL_FORGOTTEN = reverse("myportal:password_forgotten")
NEW_PASSWORD = "Sonnenblume-am-Rhein-42"


@pytest.fixture(autouse=True)
def _fresh_throttling(settings):
    """The reset counters live in the process's cache; no test sees another's.

    Answers to "Passwort vergessen" normally take at least half a second; the timing test
    sets its own floor.
    """
    settings.MYPORTAL_RESET_MIN_SECONDS = 0
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def ask(django_capture_on_commit_callbacks):
    """POST "Passwort vergessen" for ``username`` from ``address``; the outbox delivers."""

    def ask(username: str, address: str = "198.51.100.7", client: Client | None = None):
        client = client or Client()
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(MYPORTAL_FORGOTTEN, {"username": username}, REMOTE_ADDR=address)

    return ask


def last_sms_password() -> str:
    body = LocmemSmsBackend.outbox[-1]["body"]
    return re.search(r"lautet (\S+) -", body).group(1)


def last_mail_password() -> str:
    """The password e-mail's text part has the password alone on an indented line."""
    body = mail.outbox[-1].body
    return re.search(r"lautet:\n\n +(\S+)\n", body).group(1)


@dataclass
class Ordered:
    workplace: Workplace
    password: str  # the temporary password, as the SMS or e-mail brought it


def order_workplace(
    client: Client, admin, trunk, capture, *, username: str, mobile: str, package: str
) -> Ordered:
    """The admin runs the wizard and orders; the outbox delivers (tasks run on commit)."""
    complete_draft(client, trunk, username=username, mobile=mobile, package=package)
    with capture(execute=True):
        response = client.post(reverse("orders:place"), {"token": cart_of(admin).token})
    assert response.status_code == 302
    workplace = Workplace.objects.select_related("user", "number").get(username=username)
    assert workplace.status == Workplace.Status.ACTIVE
    password = last_sms_password() if mobile else last_mail_password()
    return Ordered(workplace=workplace, password=password)


@pytest.fixture
def by_sms(alice_client, alice, trunk, django_capture_on_commit_callbacks) -> Ordered:
    """Jörg Müller's workplace, Konferenz Plus, password by SMS."""
    return order_workplace(
        alice_client,
        alice,
        trunk,
        django_capture_on_commit_callbacks,
        username="joerg.mueller",
        mobile="0170 1234567",
        package="konferenz-plus",
    )


@pytest.fixture
def by_email(alice_client, alice, trunk, django_capture_on_commit_callbacks) -> Ordered:
    """A workplace without a mobile number and without a package: password by e-mail."""
    return order_workplace(
        alice_client,
        alice,
        trunk,
        django_capture_on_commit_callbacks,
        username="ohne.handy",
        mobile="",
        package="none",
    )


def log_in(client: Client, username: str, password: str, url: str = MYPORTAL_LOGIN):
    return client.post(url, {"username": username, "password": password})


@pytest.fixture
def end_user_client(by_sms) -> Client:
    """Jörg, logged in to MyPortal with his own password (the temporary one replaced)."""
    client = Client()
    response = log_in(client, by_sms.workplace.username, by_sms.password)
    assert response["Location"] == reverse("myportal:password_change")
    response = client.post(
        reverse("myportal:password_change"),
        {
            "current_password": by_sms.password,
            "new_password": NEW_PASSWORD,
            "new_password_repeat": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    return client
