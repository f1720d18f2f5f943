"""What the people of the seed receive: welcome e-mail, password, Auftragsinformation."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import password_validation
from django.core import mail
from django.urls import reverse

from notifications.gsm7 import fits_one_segment, is_gsm7
from notifications.messages import PASSWORD_ALPHABET, render, temporary_password
from notifications.models import Notification, mask
from notifications.sms import LocmemSmsBackend
from orders.models import Order
from orders.services import cart_of
from tests.wizard_helpers import complete_draft


@pytest.fixture
def admin_with_email(alice):
    alice.email = "alice@demo-gmbh.de"
    alice.save()
    return alice


def order(client, admin, capture, **draft):
    complete_draft(client, admin.customer.trunks.get(), **draft)
    with capture(execute=True):
        client.post(reverse("orders:place"), {"token": cart_of(admin).token})
    return Order.objects.latest("pk")


def by_subject(fragment):
    return [m for m in mail.outbox if fragment in m.subject]


def test_the_welcome_email_is_german_multipart_and_links_to_myportal(
    alice_client, admin_with_email, trunk, settings, django_capture_on_commit_callbacks
):
    settings.PORTAL_BASE_URL = "https://portal.example.com"
    order(alice_client, admin_with_email, django_capture_on_commit_callbacks)
    [welcome] = by_subject("Willkommen")
    assert welcome.to == ["joerg@example.com"]
    html = welcome.alternatives[0].content
    assert welcome.alternatives[0].mimetype == "text/html"
    for body in (welcome.body, html):
        assert "joerg.mueller" in body
        assert "https://portal.example.com/myportal/" in body
        assert "per SMS an +49170****567" in body
    assert "border-top:4px solid #a1005a" in html  # the shared look of every e-mail


def test_the_password_sms_fits_one_gsm7_segment_and_is_the_real_password(
    alice_client, admin_with_email, trunk, django_capture_on_commit_callbacks
):
    o = order(alice_client, admin_with_email, django_capture_on_commit_callbacks)
    [sms] = LocmemSmsBackend.outbox
    assert is_gsm7(sms["body"]) and fits_one_segment(sms["body"])
    password = re.search(r"lautet (\S+) ", sms["body"]).group(1)
    user = o.items.get().workplace.user
    assert user.check_password(password) and user.must_change_password
    assert not by_subject("Passwort")  # no password by e-mail on the SMS path


@pytest.fixture
def sip_server(settings):
    """A SIP registrar is connected (rendering a message does not reach it)."""
    settings.PROVISIONING_BACKEND = "kamailio"
    settings.KAMAILIO_DATABASE_URL = "postgres://portal@kamailio.example.net/kamailio"
    settings.SIP_DOMAIN = "sip.example.net"


@pytest.mark.parametrize(
    ("connected", "keeps_current_password", "says"),
    [
        (False, True, "das bisherige gilt, bis Sie das neue verwenden."),
        (False, False, "bitte ändern Sie es bei der nächsten Anmeldung."),
        (True, True, "erst in MyPortal anmelden, dann gilt es auch in den Clients."),
        (True, False, "bitte ändern Sie es bei der nächsten Anmeldung."),
    ],
    ids=[
        "passwort vergessen",
        "reset by the admin",
        "passwort vergessen, SIP server",
        "reset by the admin, SIP server",
    ],
)
def test_the_reset_sms_says_whether_and_where_the_old_password_still_works_in_one_segment(
    request, connected, keeps_current_password, says
):
    if connected:
        request.getfixturevalue("sip_server")
    username = "maximilian.mustermann-schmidt"  # a long one: 29 of at most 64 characters
    notification = Notification(
        kind=Notification.Kind.PASSWORD_RESET_SMS,
        channel=Notification.Channel.SMS,
        keeps_current_password=keeps_current_password,
        context={"username": username},
    )
    body = render(notification, password=temporary_password()).text
    assert body.startswith(f"MyPortal: Ihr neues temporäres Passwort für {username} lautet ")
    assert body.endswith(says)
    assert is_gsm7(body) and fits_one_segment(body)


def test_with_a_sip_server_the_forgotten_password_email_says_when_it_reaches_the_clients(
    sip_server,
):
    notification = Notification(
        kind=Notification.Kind.PASSWORD_RESET_EMAIL,
        channel=Notification.Channel.EMAIL,
        keeps_current_password=True,
        context={"first_name": "Jörg", "last_name": "Müller", "username": "joerg.mueller"},
    )
    rendered = render(notification, password=temporary_password())
    says = (
        "Ihr bisheriges Passwort gilt weiter, in MyPortal und in den Clients, bis Sie sich zum "
        "ersten Mal mit diesem neuen Passwort in MyPortal anmelden; erst danach gilt das neue "
        "auch in den Clients."
    )
    assert says in " ".join(rendered.text.split())
    assert says in " ".join(rendered.html.split())


def test_without_mobile_the_password_comes_in_a_separate_email(
    alice_client, admin_with_email, trunk, django_capture_on_commit_callbacks
):
    o = order(alice_client, admin_with_email, django_capture_on_commit_callbacks, mobile="")
    assert LocmemSmsBackend.outbox == []
    [welcome] = by_subject("Willkommen")
    assert "separaten E-Mail" in welcome.body
    [password_mail] = by_subject("temporäres Passwort")
    password = re.search(r"^\s+(\S+)$", password_mail.body, re.MULTILINE).group(1)
    assert o.items.get().workplace.user.check_password(password)


def test_the_auftragsinformation_lists_the_order_and_never_a_password(
    alice_client, admin_with_email, trunk, django_capture_on_commit_callbacks
):
    o = order(alice_client, admin_with_email, django_capture_on_commit_callbacks)
    [confirmation] = by_subject("Auftragsinformation")
    assert confirmation.to == ["alice@demo-gmbh.de"]
    password = re.search(r"lautet (\S+) ", LocmemSmsBackend.outbox[0]["body"]).group(1)
    for body in (confirmation.body, confirmation.alternatives[0].content):
        assert o.number in body
        assert "Jörg Müller" in body and "0228 181234-10" in body
        assert "16,80 €" in body and "19,99 €" in body  # 6,90 + 9,90 net; gross
        assert password not in body


def test_messages_follow_the_language_of_the_admin(
    alice_client, admin_with_email, trunk, django_capture_on_commit_callbacks
):
    alice_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    order(alice_client, admin_with_email, django_capture_on_commit_callbacks)
    [confirmation] = by_subject("Order information")
    assert "Total monthly net" in confirmation.body
    assert len(by_subject("Willkommen")) == 1  # the end user's language is not known: German


def test_nothing_in_the_database_holds_the_password(
    alice_client, admin_with_email, trunk, django_capture_on_commit_callbacks
):
    order(alice_client, admin_with_email, django_capture_on_commit_callbacks)
    password = re.search(r"lautet (\S+) ", LocmemSmsBackend.outbox[0]["body"]).group(1)
    for row in Notification.objects.all():
        assert password not in str(row.context) and password not in row.last_error
    assert Notification.objects.filter(status="sent").count() == 3


def test_the_order_page_shows_each_message(
    alice_client, admin_with_email, trunk, django_capture_on_commit_callbacks
):
    o = order(alice_client, admin_with_email, django_capture_on_commit_callbacks)
    page = alice_client.get(reverse("orders:detail", args=[o.code])).content.decode()
    assert page.count("Gesendet") >= 3
    assert "+49170****567" in page and "j***@example.com" in page
    assert "Passwort per SMS" in page and "Auftragsinformation" in page


def test_masking_keeps_enough_to_recognise():
    assert mask("joerg@example.com") == "j***@example.com"
    assert mask("+491701234567") == "+49170****567"


def test_the_dev_outbox_shows_welcome_email_and_sms_when_nothing_is_configured(
    alice_client, admin_with_email, trunk, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.DEBUG = True
    settings.VAR_DIR = tmp_path
    settings.SMS_BACKEND = "notifications.sms.FileSmsBackend"
    settings.SMS_OUTBOX_FILE = tmp_path / "outbox" / "sms.jsonl"
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(tmp_path / "outbox" / "mail")},
        }
    }
    order(alice_client, admin_with_email, django_capture_on_commit_callbacks)
    page = alice_client.get(reverse("notifications:dev_outbox")).content.decode()
    assert "Willkommen" in page and "joerg.mueller" in page
    assert "MyPortal: Ihr temporäres Passwort" in page
    settings.DEBUG = False
    assert alice_client.get(reverse("notifications:dev_outbox")).status_code == 404


def test_the_temporary_password_is_easy_to_type_and_passes_the_password_validators(alice):
    # Letters and digits only, none that look alike: typed from an SMS into a phone's keypad.
    # And strong enough for the rules a user's own password has to pass.
    for _ in range(200):
        password = temporary_password()
        assert len(password) == 12
        assert set(password) <= set(PASSWORD_ALPHABET)
        assert not set(password) & set("0O1lI")
        password_validation.validate_password(password, alice)
