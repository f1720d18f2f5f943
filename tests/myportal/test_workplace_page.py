"""The own workplace page: who, which number, where, which package, which clients."""

from __future__ import annotations

import html

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.myportal.conftest import NEW_PASSWORD, log_in

HOME = reverse("myportal:home")


def text_of(response) -> str:
    return html.unescape(response.content.decode())


def test_it_shows_name_number_trunk_company_and_package(end_user_client, by_sms):
    page = text_of(end_user_client.get(HOME))
    assert "Jörg Müller" in page
    assert "joerg.mueller" in page
    number = by_sms.workplace.number
    assert number.e164 == "+4922818123410"
    assert "0228 181234-10" in page
    assert "international: +49 228 181234-10" in page
    assert "+4922818123410" not in page
    assert "Zentrale Bonn" in page
    assert "Demo GmbH" in page
    assert "Konferenz Plus" in page
    assert f"(gebucht seit {timezone.localdate():%d.%m.%Y})" in page


def test_it_lists_the_features_of_the_booked_package(end_user_client, by_sms):
    page = text_of(end_user_client.get(HOME))
    features = by_sms.workplace.package.feature_labels()
    assert features == ["Nachrichten per Chat"]
    for feature in features:
        assert f"<li>{feature}</li>" in page
    assert "Bildschirm teilen" not in page  # Premium only


def test_it_says_where_the_clients_come_from(end_user_client):
    page = text_of(end_user_client.get(HOME))
    for client in ("Desktop-Client", "Mobile-Client", "Tablet-Client"):
        assert f"<h3>{client}</h3>" in page
    assert "App Store" in page and "Google Play" in page
    assert "Windows und macOS" in page


def test_it_offers_the_password_change(end_user_client):
    page = text_of(end_user_client.get(HOME))
    assert f'href="{reverse("myportal:password_change")}">Passwort ändern</a>' in page


def test_without_a_package_it_says_so(by_email):
    client = Client()
    log_in(client, "ohne.handy", by_email.password)
    client.post(
        reverse("myportal:password_change"),
        {
            "current_password": by_email.password,
            "new_password": NEW_PASSWORD,
            "new_password_repeat": NEW_PASSWORD,
        },
    )
    page = text_of(client.get(HOME))
    assert "Kein Konferenzpaket gebucht." in page
    assert "Konferenz Plus" not in page


def test_the_page_is_in_english_when_chosen(end_user_client):
    end_user_client.post(reverse("set_language"), {"language": "en", "next": HOME})
    page = text_of(end_user_client.get(HOME))
    assert 'lang="en"' in page
    assert "My workplace" in page
    assert "0228 181234-10" in page


def test_it_shows_the_connection_data_the_clients_need(end_user_client, settings):
    settings.PROVISIONING_BACKEND = "kamailio"
    settings.KAMAILIO_DATABASE_URL = "postgres://portal@kamailio.example.net/kamailio"
    settings.SIP_DOMAIN = "sip.example.net"

    page = " ".join(text_of(end_user_client.get(HOME)).split())

    assert "Verbindungsdaten für die Clients" in page
    for label, value in [
        ("SIP-Domain / Server", "<code>sip.example.net</code>"),
        ("Benutzername", "<code>joerg.mueller</code>"),
        ("Rufnummer", "<code>+49 228 181234-10</code>"),
        ("Passwort", "Ihr MyPortal-Passwort"),
    ]:
        assert f"<div><dt>{label}</dt><dd>{value}</dd></div>" in page
    assert "noch keine Verbindungsdaten hinterlegt" not in page


def test_without_a_sip_server_it_says_so_without_operator_jargon(end_user_client):
    page = " ".join(text_of(end_user_client.get(HOME)).split())

    assert "Verbindungsdaten für die Clients" in page
    assert (
        "Für Ihre Clients sind hier noch keine Verbindungsdaten hinterlegt. Falls ein Client danach fragt, nennt Ihr Administrator Ihnen die Daten."
        in page
    )
    assert "SIP-Server" not in page
    assert "SIP-Domain" not in page
