"""End users stay in MyPortal; admins and operators stay out of it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.models import User
from tests.myportal.conftest import MYPORTAL_LOGIN, NEW_PASSWORD, log_in, order_workplace

ADMIN_LOGIN = reverse("portal:login")
ADMIN_PAGES = [
    "manage:dashboard",
    "portal:protokoll",
    "manage:overview",
    "wizard:start",
    "orders:status",
    "orders:cart",
]
MYPORTAL_PAGES = ["myportal:home", "myportal:password_change"]


@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_an_end_user_gets_403_on_every_admin_page(end_user_client, name):
    assert end_user_client.get(reverse(name)).status_code == 403


def test_an_end_user_gets_403_on_a_trunk_of_the_own_company(end_user_client, trunk):
    response = end_user_client.get(reverse("manage:numbers", args=[trunk.code]))
    assert response.status_code == 403


def test_the_admin_login_refuses_an_end_user_and_says_where_to_go(client, end_user_client):
    response = log_in(client, "joerg.mueller", NEW_PASSWORD, url=ADMIN_LOGIN)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Dieses Konto ist kein Administratorkonto." in page
    assert MYPORTAL_LOGIN in page
    assert "_auth_user_id" not in client.session


def test_the_admin_login_still_lets_an_admin_in(client, alice):
    response = log_in(client, "alice", "Secret-Pass-1", url=ADMIN_LOGIN)
    assert response["Location"] == reverse("manage:dashboard")


@pytest.mark.parametrize("name", MYPORTAL_PAGES)
def test_an_admin_session_gets_403_in_myportal(alice_client, name):
    assert alice_client.get(reverse(name)).status_code == 403


def test_myportal_refuses_an_admins_login(client, alice):
    response = log_in(client, "alice", "Secret-Pass-1")
    assert response.status_code == 200
    page = response.content.decode()
    assert "MyPortal ist für Benutzer eines SIP-Trunk Arbeitsplatzes." in page
    assert ADMIN_LOGIN in page
    assert "_auth_user_id" not in client.session


def test_myportal_refuses_an_operator(client, db):
    User.objects.create_user(username="operator", password="Secret-Pass-1", is_staff=True)
    response = log_in(client, "operator", "Secret-Pass-1")
    assert "MyPortal ist für Benutzer eines SIP-Trunk Arbeitsplatzes." in (
        response.content.decode()
    )
    assert "_auth_user_id" not in client.session


def test_an_end_user_session_does_not_open_the_operators_admin(end_user_client):
    response = end_user_client.get("/betrieb/")
    assert response.status_code == 302
    assert response["Location"].startswith("/betrieb/login/")


def test_one_end_user_sees_only_the_own_workplace(
    end_user_client, alice_client, alice, trunk, django_capture_on_commit_callbacks
):
    other = order_workplace(
        alice_client,
        alice,
        trunk,
        django_capture_on_commit_callbacks,
        username="erika.muster",
        mobile="0171 7654321",
        package="konferenz-premium",
    )
    page = end_user_client.get(reverse("myportal:home")).content.decode()
    assert "joerg.mueller" in page
    assert "erika.muster" not in page
    assert other.workplace.number.national not in page
