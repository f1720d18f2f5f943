""" "Telefon einrichten" without a SIP server, and the provisioning link's refusals.

What the link hands out with a registrar connected is tested against a real Kamailio in
``tests/provisioning/test_phone_setup.py``.
"""

from __future__ import annotations

import logging
import secrets
from xml.etree import ElementTree

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse

from portal.env import env_sip_uri
from provisioning.softphone import LPCONFIG_NAMESPACE, SoftphoneAccount, linphone_document
from tests.myportal.conftest import NEW_PASSWORD, last_sms_password, log_in
from workplaces.models import PhoneSetup
from workplaces.services import phone_setup

PAGE = reverse("myportal:phone_setup")
HOME = reverse("myportal:home")


def link(token: str | None = None) -> str:
    return reverse("myportal:phone_provision", kwargs={"token": token or secrets.token_urlsafe(32)})


# --- the page without a SIP server -------------------------------------------------------------


def test_without_a_sip_server_the_page_says_so_and_makes_no_code(end_user_client):
    page = end_user_client.get(PAGE).content.decode()
    assert "Es ist noch kein SIP-Server angebunden" in page
    assert "Code erzeugen" not in page

    answer = end_user_client.post(PAGE).content.decode()
    assert "<svg" not in answer
    assert PhoneSetup.objects.count() == 0
    assert PAGE not in end_user_client.get(HOME).content.decode()


def test_the_page_needs_the_own_password(by_sms):
    client = Client()
    client.post(
        reverse("myportal:login"),
        {"username": by_sms.workplace.username, "password": by_sms.password},
    )
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"] == reverse("myportal:password_change")


# --- what voids a code ------------------------------------------------------------------------


def open_code(workplace) -> PhoneSetup:
    phone_setup.issue(workplace=workplace)
    return PhoneSetup.objects.filter(workplace=workplace).latest("created_at")


def voided(setup: PhoneSetup) -> bool:
    setup.refresh_from_db()
    return setup.password_changed_at is not None


def test_passwort_aendern_voids_an_open_code(end_user_client, by_sms):
    setup = open_code(by_sms.workplace)
    end_user_client.post(
        reverse("myportal:password_change"),
        {
            "current_password": NEW_PASSWORD,
            "new_password": "Zweites-Passwort-am-Rhein-7",
            "new_password_repeat": "Zweites-Passwort-am-Rhein-7",
        },
    )
    assert voided(setup)
    assert phone_setup.state_of(by_sms.workplace).needs_new_code


def test_a_new_code_replaces_the_open_one_without_a_password_change(end_user_client, by_sms):
    first = open_code(by_sms.workplace)
    open_code(by_sms.workplace)

    first.refresh_from_db()
    assert first.replaced_at is not None
    assert not voided(first)
    state = phone_setup.state_of(by_sms.workplace)
    assert state.open_until is not None and not state.needs_new_code


def test_passwort_vergessen_voids_a_code_only_when_the_new_password_is_used(
    end_user_client, by_sms, ask
):
    setup = open_code(by_sms.workplace)

    ask(by_sms.workplace.username)
    assert not voided(setup)  # the current password, and the phones, keep working

    log_in(Client(), by_sms.workplace.username, last_sms_password())
    assert voided(setup)


def test_an_admins_reset_voids_an_open_code(end_user_client, by_sms, alice_client):
    setup = open_code(by_sms.workplace)

    alice_client.post(reverse("manage:reset_password", args=[by_sms.workplace.code]))

    assert voided(setup)


def test_without_a_sip_server_the_admin_sees_no_phone_and_cannot_mail(
    end_user_client, by_sms, alice_client
):
    detail = reverse("manage:detail", args=[by_sms.workplace.code])
    assert "Telefon einrichten" not in alice_client.get(detail).content.decode()

    response = alice_client.post(
        reverse("manage:send_phone_setup", args=[by_sms.workplace.code]), follow=True
    )
    assert "kann noch kein Telefon eingerichtet werden" in response.content.decode()


# --- the link's refusals ---------------------------------------------------------------------


def test_the_link_is_refused_over_plain_http_outside_debug(db, settings):
    settings.DEBUG = False
    response = Client().get(link())
    assert response.status_code == 403
    assert response.content == b""
    assert response["Cache-Control"] == "no-store"


def test_an_unknown_code_is_gone_with_no_body_and_no_log_line(db, caplog):
    token = secrets.token_urlsafe(32)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = Client().get(link(token), secure=True)
    assert response.status_code == 410
    assert response.content == b""
    assert response["Cache-Control"] == "no-store"
    assert token not in caplog.text


def test_head_and_post_do_not_spend_a_code_nor_log_it(db, caplog):
    token = secrets.token_urlsafe(32)
    with caplog.at_level(logging.WARNING):
        head = Client().head(link(token), secure=True)
        post = Client(enforce_csrf_checks=True).post(link(token), secure=True)
    assert head.status_code == post.status_code == 405
    assert head["Allow"] == "GET"
    assert token not in caplog.text


def test_fetches_are_limited_per_address(db, settings):
    settings.PHONE_SETUP_FETCHES_PER_ADDRESS = 3
    client = Client()
    for _ in range(3):
        assert client.get(link(), secure=True, REMOTE_ADDR="198.51.100.20").status_code == 410
    limited = client.get(link(), secure=True, REMOTE_ADDR="198.51.100.20")
    assert limited.status_code == 429
    assert limited.content == b""
    assert 0 < int(limited["Retry-After"]) <= settings.PHONE_SETUP_WINDOW_SECONDS
    assert client.get(link(), secure=True, REMOTE_ADDR="198.51.100.21").status_code == 410


# --- the document -----------------------------------------------------------------------------


def test_the_document_escapes_what_it_carries():
    account = SoftphoneAccount(
        proxy="sip:sip.example.net;transport=tls",
        username="anna.schmidt",
        domain="sip.example.net",
        realm="sip.example.net",
        ha1="0123456789abcdef0123456789abcdef",
        display_name='Anna "A&B" <Schmidt>',
    )
    document = linphone_document(account)
    root = ElementTree.fromstring(document)  # noqa: S314 - our own document

    assert document.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert root.tag == f"{{{LPCONFIG_NAMESPACE}}}config"
    identity = root.find(".//*[@name='proxy_0']/*[@name='reg_identity']")
    assert identity.text == '"Anna \\"A&B\\" <Schmidt>" <sip:anna.schmidt@sip.example.net>'
    assert b"&lt;sip:sip.example.net;transport=tls&gt;" in document
    assert "0123456789abcdef" not in repr(account)


# --- SIP_PROXY --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "sip:sip.example.net;transport=tls",
        "sips:sip.example.net:5061",
        "sip:192.0.2.10:5060;transport=udp",
        "sip:[2001:db8::1]:5060;transport=tcp",
    ],
)
def test_sip_proxy_takes_a_sip_uri(monkeypatch, value):
    monkeypatch.setenv("SIP_PROXY", value)
    assert env_sip_uri("SIP_PROXY") == value


@pytest.mark.parametrize(
    "value",
    [
        "sip.example.net",
        "https://sip.example.net",
        "sip:alice@sip.example.net",
        "sip:sip.example.net;transport=sctp",
        "sip:sip.example.net:99999",
        "sip:sip.example.net;lr",
    ],
)
def test_sip_proxy_refuses_anything_else_by_name(monkeypatch, value):
    monkeypatch.setenv("SIP_PROXY", value)
    with pytest.raises(ImproperlyConfigured, match="SIP_PROXY must be a SIP URI"):
        env_sip_uri("SIP_PROXY")
