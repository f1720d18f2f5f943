"""Login throttling (django-axes) on the admin login and MyPortal: 5 failures per username+address."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.core.checks import run_checks
from django.test import Client, RequestFactory
from django.urls import reverse

from portal.access import client_ip
from tests.myportal.conftest import NEW_PASSWORD

LOCKED = "Zu viele fehlgeschlagene Anmeldeversuche"
WRONG = "Benutzername oder Passwort sind nicht korrekt."
ADMIN_LOGIN = reverse("portal:login")
MYPORTAL_LOGIN = reverse("myportal:login")


def attempt(url: str, username: str, password: str, address: str = "198.51.100.7"):
    client = Client(REMOTE_ADDR=address)
    response = client.post(url, {"username": username, "password": password})
    return response, client


def fail_until_locked(url: str, username: str, address: str = "198.51.100.7"):
    """The failures up to the limit; the last one already says that the login is locked."""
    for n in range(1, settings.AXES_FAILURE_LIMIT + 1):
        response, _ = attempt(url, username, f"Falsch-geraten-{n}", address)
        page = response.content.decode()
        if n < settings.AXES_FAILURE_LIMIT:
            assert response.status_code == 200
            assert WRONG in page and LOCKED not in page
    return response


@pytest.fixture
def end_user(end_user_client, by_sms):
    """Jörg has his own password (NEW_PASSWORD) and no failed logins yet."""
    return by_sms.workplace.user


LOGINS = {
    "admin": (ADMIN_LOGIN, "alice", "Secret-Pass-1"),
    "myportal": (MYPORTAL_LOGIN, "joerg.mueller", NEW_PASSWORD),
}


@pytest.fixture(params=LOGINS)
def login(request, alice, end_user):
    return LOGINS[request.param]


def test_the_fifth_failure_locks_with_a_german_message_on_the_login_page(login):
    url, username, _password = login
    response = fail_until_locked(url, username)
    assert response.status_code == 429
    page = response.content.decode()
    assert LOCKED in page
    assert "für 15 Minuten gesperrt" in page
    assert 'role="alert"' in page
    assert '<label for="id_username">' in page  # the login page, not axes' own


def test_while_locked_even_the_right_password_is_refused(login):
    url, username, password = login
    fail_until_locked(url, username)
    response, client = attempt(url, username, password)
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_lock_holds_only_for_that_username_from_that_address(login):
    url, username, password = login
    fail_until_locked(url, username)
    response, _ = attempt(url, username, password, address="203.0.113.5")
    assert response.status_code == 302
    response, _ = attempt(url, "someone.else", "Falsch-geraten-1")
    assert response.status_code == 200
    assert LOCKED not in response.content.decode()


def test_the_lock_ends_after_15_minutes(login):
    url, username, password = login
    with time_machine.travel(dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC), tick=False) as t:
        fail_until_locked(url, username)
        t.shift(dt.timedelta(minutes=14))
        assert attempt(url, username, password)[0].status_code == 429
        t.shift(dt.timedelta(minutes=2))
        assert attempt(url, username, password)[0].status_code == 302


def test_tries_during_the_lock_do_not_extend_it(login):
    url, username, password = login
    with time_machine.travel(dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC), tick=False) as t:
        fail_until_locked(url, username)
        t.shift(dt.timedelta(minutes=10))
        assert attempt(url, username, "Falsch-geraten-9")[0].status_code == 429
        t.shift(dt.timedelta(minutes=6))
        assert attempt(url, username, password)[0].status_code == 302


def test_a_success_clears_the_count(login):
    url, username, password = login
    for _ in range(2):
        for n in range(settings.AXES_FAILURE_LIMIT - 1):
            assert attempt(url, username, f"Falsch-geraten-{n}")[0].status_code == 200
        assert attempt(url, username, password)[0].status_code == 302


def test_the_operators_admin_site_gets_the_german_message_too(db):
    for n in range(settings.AXES_FAILURE_LIMIT):
        response = Client().post(
            "/betrieb/login/", {"username": "operator", "password": f"Falsch-{n}"}
        )
    assert response.status_code == 429
    assert LOCKED in response.content.decode()


def test_axes_is_configured_without_warnings(db):
    assert [m.id for m in run_checks() if m.id.startswith("axes.")] == []
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"


@pytest.mark.parametrize(
    ("trusted", "forwarded", "expected"),
    [
        (True, "203.0.113.9, 198.51.100.20", "198.51.100.20"),
        (True, "", "10.0.0.2"),
        (True, "not-an-address", "10.0.0.2"),
        (False, "198.51.100.20", "10.0.0.2"),
    ],
)
def test_the_client_address_is_the_one_the_proxy_saw(settings, trusted, forwarded, expected):
    settings.TRUST_X_FORWARDED_FOR = trusted
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected
