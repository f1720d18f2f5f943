"""The Postausgang shows temporary passwords: only in DEBUG, only to those who may see them."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from notifications import dev_outbox
from notifications.models import Notification
from notifications.sms import get_backend as get_sms_backend
from orders.services import cart_of
from portal.models import User
from portal.policy import Actor
from tests.conftest import client_for
from tests.wizard_helpers import complete_draft
from workplaces.models import Workplace
from workplaces.services.credentials import reset_password

OUTBOX = reverse("notifications:dev_outbox")


@pytest.fixture
def file_outbox(settings, tmp_path):
    """DEBUG with nothing configured: messages go to files under ``tmp_path/outbox``."""
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


def order(client, admin, capture, *, username: str, mobile: str) -> Workplace:
    complete_draft(client, admin.customer.trunks.get(), username=username, mobile=mobile)
    with capture(execute=True):
        response = client.post(reverse("orders:place"), {"token": cart_of(admin).token})
    assert response.status_code == 302
    return Workplace.objects.get(username=username)


@pytest.fixture
def kept(
    file_outbox,
    alice,
    charlie,
    alice_client,
    charlie_client,
    trunk,
    other_trunk,
    django_capture_on_commit_callbacks,
):
    """Demo GmbH orders one workplace and resets its password, Beispiel AG orders one; and
    one e-mail no message row names (sent by hand)."""
    for admin, domain in ((alice, "demo-gmbh.de"), (charlie, "beispiel.de")):
        admin.email = f"{admin.username}@{domain}"
        admin.save()
    capture = django_capture_on_commit_callbacks
    joerg = order(alice_client, alice, capture, username="joerg.mueller", mobile="0170 1234567")
    order(charlie_client, charlie, capture, username="karl.koeln", mobile="0171 7654321")
    with capture(execute=True):
        reset_password(workplace=joerg, actor=Actor.for_admin(alice))
    mail.send_mail("Handarbeit", "Von Hand gesendet.", "ops@example.com", ["x@example.com"])
    return joerg


def test_a_customer_admin_sees_only_the_messages_of_the_own_customer(kept, alice_client):
    page = alice_client.get(OUTBOX).content.decode()
    assert "joerg.mueller" in page and "+491701234567" in page
    assert "alice@demo-gmbh.de" in page
    assert "MyPortal: Ihr neues temporäres Passwort" in page  # the reset: no order, a workplace
    assert "karl.koeln" not in page and "+491717654321" not in page
    assert "charlie@beispiel.de" not in page
    assert "Handarbeit" not in page
    assert "Sie sehen die Nachrichten zu Aufträgen und Arbeitsplätzen von Demo GmbH." in page


def test_the_admin_of_another_customer_sees_only_his(kept, charlie_client):
    page = charlie_client.get(OUTBOX).content.decode()
    assert "karl.koeln" in page and "+491717654321" in page and "charlie@beispiel.de" in page
    assert "joerg.mueller" not in page and "+491701234567" not in page
    assert "alice@demo-gmbh.de" not in page and "Handarbeit" not in page


def test_staff_see_every_kept_message(kept, db):
    staff = User.objects.create_user(username="olga", password="Secret-Pass-1", is_staff=True)
    page = client_for(staff).get(OUTBOX).content.decode()
    for text in ("joerg.mueller", "+491701234567", "karl.koeln", "+491717654321", "Handarbeit"):
        assert text in page
    assert "Als Mitarbeiter sehen Sie alle Nachrichten." in page


def test_each_admin_gets_exactly_the_kept_messages_of_the_own_rows(kept, alice, charlie):
    for customer in (alice.customer, charlie.customer):
        rows = Notification.objects.filter(status="sent").filter(
            workplace__trunk__customer=customer
        ) | Notification.objects.filter(status="sent", order__customer=customer)
        sms_ids = set(rows.filter(channel="sms").values_list("provider_id", flat=True))
        assert {m["sid"] for m in dev_outbox.sms_for(customer=customer)} == sms_ids
        mails = dev_outbox.mails_for(customer=customer)
        assert len(mails) == rows.filter(channel="email").count()
    assert len(dev_outbox.sms_for(customer=None)) == 3  # two orders and the reset
    assert len(dev_outbox.mails_for(customer=None)) == 5  # 2 welcome, 2 confirmation, by hand


def test_a_visitor_is_sent_to_the_login(kept, client):
    response = client.get(OUTBOX)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('portal:login')}?next={OUTBOX}"


def test_an_end_user_does_not_get_the_page(kept):
    response = client_for(kept.user).get(OUTBOX)
    assert response.status_code == 404
    assert b"+491701234567" not in response.content


@pytest.mark.parametrize("who", ["visitor", "admin", "staff"])
def test_without_debug_the_page_does_not_exist_for_anyone(kept, settings, alice, who):
    settings.DEBUG = False
    staff = User.objects.create_user(username="olga", password="Secret-Pass-1", is_staff=True)
    browser = {"visitor": Client(), "admin": client_for(alice), "staff": client_for(staff)}[who]
    assert browser.get(OUTBOX).status_code == 404


def test_lines_the_page_cannot_read_are_left_out(file_outbox, settings, db):
    settings.SMS_OUTBOX_FILE.parent.mkdir(parents=True)
    settings.SMS_OUTBOX_FILE.write_text('{"sid": "DEV1", "to": "+49", "body": "a"}\n{"sid": ')
    assert [m["sid"] for m in dev_outbox.sms_for(customer=None)] == ["DEV1"]


def test_the_outbox_shows_when_a_message_was_sent_the_german_way_in_local_time(file_outbox, db):
    """13:03 UTC in November is 14:03 in Berlin; no ISO string, no RFC 2822 date."""
    staff = User.objects.create_user(username="olga", password="Secret-Pass-1", is_staff=True)
    with time_machine.travel(dt.datetime(2026, 11, 25, 13, 3, tzinfo=dt.UTC), tick=False):
        get_sms_backend().send(to="+491701234567", body="Ihr Passwort: geheim")
        mail.send_mail("Willkommen", "Hallo.", "portal@localhost", ["x@example.com"])
    page = client_for(staff).get(OUTBOX).content.decode()
    assert page.count("25.11.2026 14:03") == 2
    assert "2026-11-25T13:03" not in page and "Wed, 25 Nov 2026" not in page


def test_an_invitation_shows_to_the_inviting_customer_only(
    file_outbox, alice_client, charlie_client, trunk, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reverse("admins:invite"), {"email": "nora@example.com", "role": "leser"})
    assert "nora@example.com" in alice_client.get(OUTBOX).content.decode()
    assert "nora@example.com" not in charlie_client.get(OUTBOX).content.decode()
