"""Two-factor login: setup with QR code and key, recovery codes, the code step after the
password (throttled), the customer's requirement, staff in the back office, reset."""

from __future__ import annotations

import base64
import datetime as dt
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.models import AuditEvent, User
from tests.conftest import client_for

PASSWORD = "Secret-Pass-1"


def code_for(device: TOTPDevice) -> str:
    """The app's code now, computed from the key as an authenticator app does."""
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{value:0{device.digits}d}"


def key_on_page(page: str) -> bytes:
    key = re.search(r'<code id="totp-key">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
    return base64.b32decode(key + "=" * (-len(key) % 8))


def set_up(client: Client, user: User) -> list[str]:
    page = client.get(reverse("portal:two_factor_setup")).content.decode()
    device = TOTPDevice.objects.get(user=user)
    assert key_on_page(page) == device.bin_key
    response = client.post(reverse("portal:two_factor_setup"), {"code": code_for(device)})
    assert response.status_code == 200
    return re.findall(r"<li><code>([a-z0-9]+)</code></li>", response.content.decode())


def log_in(username: str = "alice") -> Client:
    client = Client()
    response = client.post(reverse("portal:login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.fixture
def alice_with_2fa(alice, alice_client) -> list[str]:
    return set_up(alice_client, alice)


def test_the_setup_page_shows_a_qr_code_and_the_key(alice_client):
    page = alice_client.get(reverse("portal:two_factor_setup")).content.decode()
    assert "<svg" in page
    assert re.search(r'<code id="totp-key">[A-Z2-7 ]{20,}</code>', page)


def test_setting_up_shows_ten_recovery_codes_once(alice, alice_with_2fa):
    assert len(set(alice_with_2fa)) == 10
    alice.refresh_from_db()
    assert alice.two_factor
    assert AuditEvent.objects.get(action="two_factor_set_up").text == (
        "Zwei-Faktor-Anmeldung für alice eingerichtet"
    )


def test_a_wrong_first_code_sets_nothing_up(alice, alice_client):
    alice_client.get(reverse("portal:two_factor_setup"))
    response = alice_client.post(reverse("portal:two_factor_setup"), {"code": "000000"})
    assert response.status_code == 400
    assert "Der Code stimmt nicht." in response.content.decode()
    alice.refresh_from_db()
    assert not alice.two_factor


def test_after_the_password_the_pages_wait_for_the_code(alice, alice_with_2fa):
    later = timezone.now() + dt.timedelta(minutes=2)
    with time_machine.travel(later, tick=False):
        client = log_in()
        response = client.get(reverse("manage:dashboard"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("portal:two_factor_code"))
        wrong = client.post(reverse("portal:two_factor_code"), {"code": "000000"})
        assert "Der Code stimmt nicht." in wrong.content.decode()
    with time_machine.travel(later + dt.timedelta(seconds=5), tick=False):
        device = TOTPDevice.objects.get(user=alice)
        right = client.post(
            reverse("portal:two_factor_code"),
            {"code": code_for(device), "next": reverse("orders:status")},
        )
        assert right["Location"] == reverse("orders:status")
        assert client.get(reverse("manage:dashboard")).status_code == 200


def test_a_recovery_code_works_once(alice, alice_with_2fa):
    first = log_in()
    response = first.post(reverse("portal:two_factor_code"), {"code": alice_with_2fa[0]})
    assert response.status_code == 302
    assert first.get(reverse("manage:dashboard")).status_code == 200
    second = log_in()
    again = second.post(reverse("portal:two_factor_code"), {"code": alice_with_2fa[0]})
    assert again.status_code == 400


def test_the_code_step_is_throttled_like_the_password(alice, alice_with_2fa, settings):
    client = log_in()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("portal:two_factor_code"), {"code": "000000"})
    response = client.post(reverse("portal:two_factor_code"), {"code": alice_with_2fa[1]})
    assert response.status_code == 400
    assert "Zu viele falsche Codes." in response.content.decode()
    assert client.get(reverse("manage:dashboard")).status_code == 302


def test_the_customers_requirement_forces_setup_at_the_next_login(alice, bob):
    client_for(alice).post(reverse("admins:two_factor_requirement"), {"require_two_factor": "on"})
    assert AuditEvent.objects.filter(action="two_factor_required").exists()
    client = log_in("bob")
    response = client.get(reverse("manage:dashboard"))
    assert response["Location"].startswith(reverse("portal:two_factor_setup"))
    set_up(client, bob)
    assert client.get(reverse("manage:dashboard")).status_code == 200


def test_staff_need_the_second_factor_in_the_back_office(db, settings):
    settings.STAFF_TWO_FACTOR = True
    olga = User.objects.create_user(username="olga", password=PASSWORD, is_staff=True)
    client = client_for(olga)
    response = client.get("/betrieb/")
    assert response["Location"].startswith(reverse("portal:two_factor_setup"))
    set_up(client, olga)
    assert client.get("/betrieb/").status_code == 200


def test_a_full_admin_resets_a_colleagues_second_factor(alice_client, bob):
    set_up(client_for(bob), bob)
    response = alice_client.post(reverse("admins:reset_2fa", args=["bob"]))
    assert response.status_code == 302
    bob.refresh_from_db()
    assert not bob.two_factor
    assert not TOTPDevice.objects.filter(user=bob).exists()
    assert AuditEvent.objects.filter(action="two_factor_reset").exists()
    assert log_in("bob").get(reverse("manage:dashboard")).status_code == 200
