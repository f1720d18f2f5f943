""" "Telefon einrichten" against a real Kamailio: the one-time link hands out the ha1 the
registrar holds, and Debian's linphonec, provisioned from it, registers.

The workplace is ordered through the wizard (its tasks write the registrar), its user sets an
own password in MyPortal, and the page makes the code. Nothing in between is mocked.
"""

from __future__ import annotations

import html
import re
import urllib.error
import urllib.request
from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from portal.models import AuditEvent
from provisioning.softphone import LPCONFIG_NAMESPACE
from tests.myportal.conftest import (  # noqa: F401 - fixtures
    NEW_PASSWORD,
    by_sms,
    end_user_client,
)
from tests.provisioning.conftest import closed_url
from tests.provisioning.linphone import linphone_in
from workplaces.models import PhoneSetup

pytestmark = pytest.mark.kamailio

PAGE = reverse("myportal:phone_setup")
PASSWORD_CHANGE = reverse("myportal:password_change")
SECOND_PASSWORD = "Regenbogen-ueber-Bonn-17"
PHONE_ADDRESS = "203.0.113.9"


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def joerg(registrar, end_user_client, by_sms):  # noqa: F811 - fixtures
    """Jörg's workplace on the registrar, and his MyPortal session with his own password."""
    return end_user_client


def new_code(client: Client) -> str:
    """ "Code erzeugen" on the page: the link the answer shows (once)."""
    response = client.post(PAGE)
    assert response.status_code == 200
    match = re.search(r'id="phone-setup-link"[^>]*value="([^"]+)"', response.content.decode())
    return html.unescape(match.group(1))


def fetch(url: str, address: str = PHONE_ADDRESS):
    """The softphone's GET of the link, over https as in production."""
    return Client().get(urlsplit(url).path, secure=True, REMOTE_ADDR=address)


def entries(document: bytes) -> dict[str, str]:
    """``section/entry`` → value of Linphone's provisioning XML."""
    root = ElementTree.fromstring(document)  # noqa: S314 - the portal's own answer
    found = {}
    for section in root.iter(f"{{{LPCONFIG_NAMESPACE}}}section"):
        for entry in section.iter(f"{{{LPCONFIG_NAMESPACE}}}entry"):
            assert entry.get("overwrite") == "true"
            found[f"{section.get('name')}/{entry.get('name')}"] = entry.text or ""
    return found


def stored_ha1(registrar, username: str = "joerg.mueller") -> str:
    return registrar.sql("SELECT ha1 FROM subscriber WHERE username = %s", [username])[0][0]


def change_password(client: Client, current: str, new: str) -> None:
    response = client.post(
        PASSWORD_CHANGE,
        {"current_password": current, "new_password": new, "new_password_repeat": new},
    )
    assert response.status_code == 302


# --- the document ------------------------------------------------------------------------------


def test_the_link_answers_the_account_with_the_registrars_ha1_once(joerg, registrar, settings):
    settings.SIP_PROXY = "sip:sip.example.net;transport=tls"
    url = new_code(joerg)

    response = fetch(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    assert response["Cache-Control"] == "no-store"
    values = entries(response.content)
    assert values == {
        "proxy_0/reg_proxy": "<sip:sip.example.net;transport=tls>",
        "proxy_0/reg_identity": f'"Jörg Müller" <sip:joerg.mueller@{registrar.domain}>',
        "proxy_0/reg_expires": "600",
        "proxy_0/reg_sendregister": "1",
        "auth_info_0/username": "joerg.mueller",
        "auth_info_0/ha1": stored_ha1(registrar),
        "auth_info_0/realm": registrar.domain,
        "auth_info_0/domain": registrar.domain,
        "auth_info_0/algorithm": "MD5",
        "misc/transient_provisioning": "1",
    }
    assert NEW_PASSWORD.encode() not in response.content

    again = fetch(url)
    assert again.status_code == 410
    assert again.content == b""
    assert again["Cache-Control"] == "no-store"


def test_without_sip_proxy_clients_are_sent_to_the_sip_domain(joerg, registrar):
    response = fetch(new_code(joerg))

    assert entries(response.content)["proxy_0/reg_proxy"] == f"<sip:{registrar.domain}>"


def test_each_use_is_a_protokoll_event_with_the_phones_address(joerg, alice_client):
    fetch(new_code(joerg))

    event = AuditEvent.objects.get(action="phone_set_up")
    assert event.remote_addr == PHONE_ADDRESS
    assert event.text == "Telefon von joerg.mueller über „Telefon einrichten“ eingerichtet"
    assert event.action_label == "Telefon eingerichtet"
    page = alice_client.get(reverse("portal:protokoll")).content.decode()
    assert "Telefon eingerichtet" in page


def test_the_page_shows_the_code_once_and_only_its_hash_is_stored(joerg):
    response = joerg.post(PAGE)
    page = response.content.decode()
    url = new_code(joerg)  # a second one, the first is void now
    token = url.rsplit("/", 1)[1]

    assert "<svg" in page and "QR-Code" in page
    assert "so viel wert wie Ihr Passwort" in page
    assert "gehört nur in Ihr Telefon" in page
    assert "no-store" in response["Cache-Control"]
    assert len(token) == 43
    assert PhoneSetup.objects.count() == 2
    assert not PhoneSetup.objects.filter(token_hash__contains=token).exists()
    later = joerg.get(PAGE).content.decode()
    assert token not in later
    assert "nicht noch einmal angezeigt" in later


def test_a_new_code_voids_the_one_before(joerg):
    first = new_code(joerg)
    second = new_code(joerg)

    assert fetch(first).status_code == 410
    assert fetch(second).status_code == 200


def test_an_expired_code_is_gone(joerg):
    url = new_code(joerg)
    setup = PhoneSetup.objects.get()
    setup.expires_at = setup.created_at
    setup.save()

    assert fetch(url).status_code == 410


def test_while_the_registrar_is_down_the_code_stays_good(joerg, registrar, settings):
    url = new_code(joerg)
    settings.KAMAILIO_DATABASE_URL = closed_url(registrar)

    down = fetch(url)
    assert down.status_code == 503
    assert down.content == b""
    assert down["Retry-After"] == "60"

    settings.KAMAILIO_DATABASE_URL = registrar.database_url
    assert fetch(url).status_code == 200


# --- password changes --------------------------------------------------------------------------


def test_a_password_change_voids_an_unused_code_and_the_page_says_so(joerg):
    url = new_code(joerg)

    change_password(joerg, NEW_PASSWORD, SECOND_PASSWORD)

    assert fetch(url).status_code == 410
    page = joerg.get(PAGE).content.decode()
    assert "Ihr Telefon braucht einen neuen Code" in page
    assert fetch(new_code(joerg)).status_code == 200
    assert "Ihr Telefon braucht einen neuen Code" not in joerg.get(PAGE).content.decode()


def test_an_admins_reset_voids_an_unused_code(joerg, by_sms, alice_client):  # noqa: F811
    url = new_code(joerg)

    reset = reverse("manage:reset_password", args=[by_sms.workplace.code])
    assert alice_client.post(reset).status_code == 302

    assert fetch(url).status_code == 410


def test_a_phone_set_up_before_a_password_change_needs_a_new_code(joerg, registrar):
    fetch(new_code(joerg))
    assert "Ein Telefon wurde am" in joerg.get(PAGE).content.decode()

    change_password(joerg, NEW_PASSWORD, SECOND_PASSWORD)

    assert "Ihr Telefon braucht einen neuen Code" in joerg.get(PAGE).content.decode()


# --- the admin --------------------------------------------------------------------------------


def test_the_admin_sees_when_a_phone_was_set_up_and_mails_the_way_there(
    joerg,
    by_sms,  # noqa: F811
    alice_client,
    django_capture_on_commit_callbacks,
    settings,
):
    detail = reverse("manage:detail", args=[by_sms.workplace.code])
    assert "Noch kein Telefon über „Telefon einrichten“ eingerichtet" in (
        alice_client.get(detail).content.decode()
    )
    url = new_code(joerg)
    fetch(url)

    page = alice_client.get(detail).content.decode()
    assert "Über „Telefon einrichten“ eingerichtet am" in page
    assert url not in page and "/myportal/p/" not in page

    sent = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(
            reverse("manage:send_phone_setup", args=[by_sms.workplace.code])
        )
    assert response.status_code == 302
    message = mail.outbox[sent]
    assert message.to == [by_sms.workplace.auth_email]
    assert f"{settings.PORTAL_BASE_URL}{PAGE}" in message.body
    assert "/myportal/p/" not in message.body


# --- a real softphone ---------------------------------------------------------------------------


def test_linphone_provisioned_from_the_link_registers_until_the_password_changes(
    transactional_db, joerg, registrar, live_server, settings, tmp_path
):
    # linphonec fetches over plain http from the test server (https needs a CA it trusts for
    # a DNS name); outside DEBUG the portal refuses that.
    settings.DEBUG = True
    settings.PORTAL_BASE_URL = live_server.url
    settings.SIP_PROXY = f"sip:127.0.0.1:{registrar.sip_port};transport=udp"
    aor = f"joerg.mueller@{registrar.domain}"
    phone = linphone_in(tmp_path)
    url = new_code(joerg)
    phone.provision_from(url)
    try:
        phone.start()
        assert phone.registered()
        assert registrar.contacts()[aor] == [
            f"sip:joerg.mueller@127.0.0.1:{phone.sip_port};transport=udp"
        ]
        # The link was for one use (the phone forgets it, below).
        with pytest.raises(urllib.error.HTTPError) as gone:
            urllib.request.urlopen(url, timeout=10)
        gone.value.close()
        assert gone.value.code == 410
        phone.stop()  # unREGISTERs with the credentials it has, and saves its configuration
        assert "config-uri=" not in phone.config.read_text()
        assert aor not in registrar.contacts()

        change_password(joerg, NEW_PASSWORD, SECOND_PASSWORD)
        phone.start()
        assert phone.failed()
        assert aor not in registrar.contacts()
        phone.stop()

        phone.provision_from(new_code(joerg))
        phone.start()
        assert phone.registered()
        assert aor in registrar.contacts()
    finally:
        phone.close()
