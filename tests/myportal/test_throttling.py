"""Login throttling (django-axes) on the admin login, MyPortal and "Passwort ändern".

5 failures of one username from one address lock that pair; 25 failures of one username from
any addresses lock the username everywhere.
"""

from __future__ import annotations

import datetime as dt
from ipaddress import ip_network

import pytest
import time_machine
from axes.models import AccessAttempt
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
PASSWORD_CHANGE = reverse("myportal:password_change")
EVERYWHERE = "von jedem Netzwerk aus"
PROXY = "10.0.0.2"


def attempt(url: str, username: str, password: str, address: str = "198.51.100.7", **headers):
    client = Client(REMOTE_ADDR=address)
    response = client.post(url, {"username": username, "password": password}, **headers)
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


def test_a_client_that_forges_x_forwarded_for_is_locked_all_the_same(login):
    url, username, password = login
    for n in range(settings.AXES_FAILURE_LIMIT):
        response, _ = attempt(
            url, username, f"Falsch-geraten-{n}", HTTP_X_FORWARDED_FOR=f"192.0.2.{n + 1}"
        )
    assert response.status_code == 429
    response, _ = attempt(url, username, password, HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert response.status_code == 429


def test_behind_a_trusted_proxy_each_client_counts_by_the_address_the_proxy_saw(login, settings):
    settings.TRUSTED_PROXIES = (ip_network("10.0.0.0/8"),)
    url, username, password = login
    # The attacker at 198.51.100.7 puts what it likes in front; the proxy appends its address.
    for n in range(settings.AXES_FAILURE_LIMIT):
        forwarded = f"192.0.2.{n + 1}, 198.51.100.7"
        response, _ = attempt(url, username, f"Falsch-{n}", PROXY, HTTP_X_FORWARDED_FOR=forwarded)
    assert response.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.7"}
    # The real user, behind the same proxy, is not locked out.
    response, _ = attempt(url, username, password, PROXY, HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert response.status_code == 302


def fail_from_many_addresses(url: str, username: str, count: int, first: int = 1):
    """One failure each from ``count`` addresses, none of them near the per-address limit."""
    for n in range(first, first + count):
        response, _ = attempt(url, username, f"Falsch-geraten-{n}", address=f"192.0.2.{n}")
    return response


def test_failures_from_many_addresses_lock_the_username_everywhere(login):
    url, username, password = login
    limit = settings.LOGIN_FAILURES_PER_USERNAME
    assert limit >= 3 * settings.AXES_FAILURE_LIMIT
    response = fail_from_many_addresses(url, username, limit - 1)
    assert response.status_code == 200
    assert LOCKED not in response.content.decode()
    response = fail_from_many_addresses(url, username, 1, first=limit)
    assert response.status_code == 429
    page = response.content.decode()
    assert LOCKED in page and EVERYWHERE in page
    assert "für bis zu 15 Minuten gesperrt" in page
    assert '<label for="id_username">' in page
    # Even the right password from an address that never failed is refused ...
    response, client = attempt(url, username, password, address="203.0.113.5")
    assert response.status_code == 429
    assert EVERYWHERE in response.content.decode()
    assert "_auth_user_id" not in client.session
    # ... while other usernames from the same addresses are not affected.
    response, _ = attempt(url, "someone.else", "Falsch-geraten-1", address="192.0.2.1")
    assert response.status_code == 200
    assert LOCKED not in response.content.decode()


def test_a_success_clears_only_that_addresses_failures_from_the_usernames_count(login):
    url, username, password = login
    limit = settings.LOGIN_FAILURES_PER_USERNAME
    fail_from_many_addresses(url, username, limit - 2)
    attempt(url, username, "Falsch-geraten-zu-Hause", address="203.0.113.5")
    assert attempt(url, username, password, address="203.0.113.5")[0].status_code == 302
    # The botnet's failures still count: one more makes the limit (the user's own do not).
    assert fail_from_many_addresses(url, username, 1, first=limit - 1).status_code == 200
    assert fail_from_many_addresses(url, username, 1, first=limit).status_code == 429


def test_the_username_lock_ends_after_15_minutes(login):
    url, username, password = login
    with time_machine.travel(dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC), tick=False) as t:
        fail_from_many_addresses(url, username, settings.LOGIN_FAILURES_PER_USERNAME)
        t.shift(dt.timedelta(minutes=10))
        assert attempt(url, username, "Falsch-geraten-99", "203.0.113.5")[0].status_code == 429
        t.shift(dt.timedelta(minutes=4))
        assert attempt(url, username, password, "203.0.113.5")[0].status_code == 429
        t.shift(dt.timedelta(minutes=2))
        assert attempt(url, username, password, "203.0.113.5")[0].status_code == 302


def change_password(client: Client, current: str):
    new = "Neues-Passwort-am-Main-7"
    return client.post(
        PASSWORD_CHANGE,
        {"current_password": current, "new_password": new, "new_password_repeat": new},
    )


def test_wrong_current_passwords_in_passwort_aendern_count_like_failed_logins(
    end_user, end_user_client
):
    # Wrong current passwords in the browser Jörg logged in with (it has his device cookie).
    address = "127.0.0.1"  # the test client's
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        response = change_password(end_user_client, f"Falsch-geraten-{n}")
        assert response.status_code == 200
        assert "Das bisherige Passwort ist nicht korrekt." in response.content.decode()
    response = change_password(end_user_client, "Falsch-geraten-letzter")
    assert response.status_code == 429
    page = response.content.decode()
    assert LOCKED in page and "in diesem Browser für 15 Minuten gesperrt" in page
    assert 'id="id_current_password_error"' in page  # the form, tied to its field
    # Locked: the right current password is refused too, and the login from here as well.
    response = change_password(end_user_client, NEW_PASSWORD)
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    end_user.refresh_from_db()
    assert end_user.check_password(NEW_PASSWORD)
    assert attempt(MYPORTAL_LOGIN, end_user.username, NEW_PASSWORD, address)[0].status_code == 429
    # axes keeps what was posted, but not the passwords.
    posted = "".join(AccessAttempt.objects.values_list("post_data", flat=True))
    assert "current_password" in posted
    assert "Falsch-geraten" not in posted and "Neues-Passwort" not in posted


def test_a_right_current_password_is_not_a_failure(end_user, end_user_client):
    response = change_password(end_user_client, NEW_PASSWORD)
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        # From a trusted proxy: the right-most entry that is not itself a trusted proxy.
        (PROXY, "203.0.113.9, 198.51.100.20", "198.51.100.20"),
        (PROXY, "203.0.113.9, 198.51.100.20, 10.9.8.7", "198.51.100.20"),
        (PROXY, "198.51.100.20,10.9.8.7 ,  10.1.1.1", "198.51.100.20"),
        (PROXY, "", PROXY),
        (PROXY, "not-an-address", PROXY),
        (PROXY, "203.0.113.9, not-an-address, 10.9.8.7", "10.9.8.7"),
        (PROXY, "10.9.8.7, 10.1.1.1", "10.9.8.7"),
        ("2001:db8:aa::1", "203.0.113.9, 2001:db8:bb::1", "2001:db8:bb::1"),
        ("2001:db8:aa::1", "2001:db8:bb::1, 2001:db8:aa::2", "2001:db8:bb::1"),
        ("::ffff:10.0.0.2", "198.51.100.20", "198.51.100.20"),
        (PROXY, "::ffff:198.51.100.20", "198.51.100.20"),
        # From anyone else the header is the client's own word.
        ("198.51.100.7", "203.0.113.9", "198.51.100.7"),
        ("198.51.100.7", "10.9.8.7", "198.51.100.7"),
        ("2001:db8:bb::1", "2001:db8:aa::2", "2001:db8:bb::1"),
    ],
)
def test_the_client_address_is_the_one_the_nearest_untrusted_hop_has(
    settings, remote, forwarded, expected
):
    settings.TRUSTED_PROXIES = (ip_network("10.0.0.0/8"), ip_network("2001:db8:aa::/48"))
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_without_trusted_proxies_x_forwarded_for_counts_for_nothing(settings):
    assert settings.TRUSTED_PROXIES == ()
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.1")
    assert client_ip(request) == "127.0.0.1"


# Device cookies: a browser that logged in as the user before is not locked out by others.

DEVICE = "portal_device"


def device_cookie_of(url: str, username: str, password: str) -> str:
    """Log in once, as the real user does, and keep the browser's device cookie."""
    response, client = attempt(url, username, password, address="203.0.113.5")
    assert response.status_code == 302
    return client.cookies[DEVICE].value


def attempt_with_cookie(url, username, password, cookie: str, address: str = "192.0.2.1"):
    client = Client(REMOTE_ADDR=address)
    client.cookies[DEVICE] = cookie
    response = client.post(url, {"username": username, "password": password})
    return response, client


def test_a_login_leaves_a_signed_device_cookie(login):
    url, username, password = login
    response, _ = attempt(url, username, password)
    cookie = response.cookies[DEVICE]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == 365 * 24 * 60 * 60
    assert username not in cookie.value  # signed and encoded, not a bare name
    response, _ = attempt(url, username, "Falsch-geraten-1")
    assert DEVICE not in response.cookies


def test_guessing_from_elsewhere_does_not_lock_out_a_browser_that_logged_in_before(login):
    url, username, password = login
    cookie = device_cookie_of(url, username, password)
    fail_from_many_addresses(url, username, settings.LOGIN_FAILURES_PER_USERNAME + 2)
    for n in range(settings.AXES_FAILURE_LIMIT):  # and the guesser's own address is locked
        attempt(url, username, f"Noch-einmal-{n}", address="192.0.2.1")
    # A browser without the cookie is refused, even with the right password ...
    response, client = attempt(url, username, password, address="203.0.113.5")
    assert response.status_code == 429
    assert EVERYWHERE in response.content.decode()
    # ... the browser with it logs in, from any address, the guesser's too.
    response, client = attempt_with_cookie(url, username, password, cookie, "192.0.2.1")
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_a_device_cookie_for_another_username_does_not_help(login):
    from portal.throttling import new_device_cookie

    url, username, password = login
    fail_from_many_addresses(url, username, settings.LOGIN_FAILURES_PER_USERNAME)
    other = new_device_cookie("someone.else")
    response, client = attempt_with_cookie(url, username, password, other, "203.0.113.5")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("tamper", ["signature", "username"])
def test_a_tampered_device_cookie_does_not_help(login, tamper):
    import base64
    import json

    url, username, password = login
    cookie = device_cookie_of(url, username, password)
    if tamper == "signature":
        last = cookie[-1]
        forged = cookie[:-1] + ("A" if last != "A" else "B")
    else:  # the payload of another user's cookie under this cookie's signature
        payload, rest = cookie.split(":", 1)
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        data["u"] = "someone.else"
        raw = json.dumps(data, separators=(",", ":")).encode()
        forged = base64.urlsafe_b64encode(raw).decode().rstrip("=") + ":" + rest
    fail_from_many_addresses(url, username, settings.LOGIN_FAILURES_PER_USERNAME)
    response, client = attempt_with_cookie(url, username, password, forged, "203.0.113.5")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # The genuine cookie still logs in.
    assert attempt_with_cookie(url, username, password, cookie)[0].status_code == 302


def test_a_browser_with_the_cookie_is_locked_by_its_own_failures(login):
    url, username, password = login
    cookie = device_cookie_of(url, username, password)
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        response, _ = attempt_with_cookie(url, username, f"Falsch-{n}", cookie)
        assert response.status_code == 200
    response, _ = attempt_with_cookie(url, username, "Falsch-letzter", cookie)
    assert response.status_code == 429
    assert "in diesem Browser für 15 Minuten gesperrt" in response.content.decode()
    assert attempt_with_cookie(url, username, password, cookie)[0].status_code == 429
    # Another browser, at another address, is not affected.
    assert attempt(url, username, password, address="203.0.113.9")[0].status_code == 302
