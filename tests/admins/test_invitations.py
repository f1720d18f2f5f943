"""Inviting an admin: the e-mail through the outbox, the one-time link that expires, the
accept page, re-sending and revoking."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from admins.models import AdminInvitation
from notifications.models import Notification
from portal.models import AuditEvent, User
from tests.conftest import client_for, make_trunk

PASSWORD = "Gruene-Wiese-42!"


@pytest.fixture
def berlin_trunk(demo_customer, packages):
    return make_trunk(demo_customer, "Niederlassung Berlin", "+4930123456", 10, 99)


def invite(client, email="nora@example.com", **data):
    return client.post(reverse("admins:invite"), {"email": email, "role": "bearbeiter", **data})


def link_in_mail() -> str:
    [message] = [m for m in mail.outbox if "Einladung" in m.subject]
    match = re.search(r"http://[^/]+(/einladung/[^/\s]+/)", message.body)
    assert match is not None, message.body
    return match.group(1)


def accept(client, link, username="nora.neu", password=PASSWORD):
    client.get(link)
    return client.post(
        reverse("invitation:accept"),
        {"username": username, "password": password, "password_again": password},
    )


@pytest.fixture
def invited(alice_client, berlin_trunk, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(alice_client, limited="on", trunks=[berlin_trunk.pk])
    assert response.status_code == 302
    return AdminInvitation.objects.get()


def test_the_invitation_goes_out_through_the_outbox(invited):
    notification = Notification.objects.get(kind="admin_invitation")
    assert (notification.recipient, notification.status) == ("nora@example.com", "sent")
    [message] = mail.outbox
    assert message.subject == "Einladung: Administrator für Demo GmbH im SIP-Trunk Portal"
    assert "als Bearbeiter mitzuverwalten" in message.body
    assert invited.token_hash not in message.body
    event = AuditEvent.objects.get(action="admin_invited")
    assert event.text == "nora@example.com als Bearbeiter eingeladen (Niederlassung Berlin)"


def test_the_invitee_chooses_username_and_password_and_gets_role_and_trunks(
    invited, client, berlin_trunk
):
    link = link_in_mail()
    response = client.get(link)
    assert response["Location"] == reverse("invitation:accept")
    page = client.get(response["Location"]).content.decode()
    assert "Sie werden Bearbeiter im SIP-Trunk Portal von Demo GmbH." in page
    response = accept(client, link)
    assert response.status_code == 302
    user = User.objects.get(username="nora.neu")
    assert (user.customer.name, user.admin_role, user.trunk_ids, user.email) == (
        "Demo GmbH",
        "bearbeiter",
        frozenset({berlin_trunk.pk}),
        "nora@example.com",
    )
    assert client.get(reverse("manage:dashboard")).status_code == 200
    assert AuditEvent.objects.filter(action="admin_joined", actor=user).exists()


def test_a_used_link_says_so(invited, client):
    link = link_in_mail()
    accept(client, link)
    other = client_for(User.objects.get(username="alice"))
    other.get(link)
    response = other.get(reverse("invitation:accept"))
    assert response.status_code == 410
    assert "Diese Einladung wurde bereits angenommen." in response.content.decode()


def test_an_expired_link_says_so(invited, client):
    link = link_in_mail()
    with time_machine.travel(timezone.now() + timezone.timedelta(hours=73), tick=False):
        client.get(link)
        response = client.get(reverse("invitation:accept"))
    assert response.status_code == 410
    assert "Diese Einladung ist abgelaufen." in response.content.decode()


def test_a_revoked_link_says_so(invited, alice_client, client):
    link = link_in_mail()
    alice_client.post(reverse("admins:revoke", args=[invited.code]))
    client.get(link)
    response = client.get(reverse("invitation:accept"))
    assert response.status_code == 410
    assert "Diese Einladung wurde widerrufen." in response.content.decode()
    assert AuditEvent.objects.filter(action="admin_invitation_revoked").exists()


def test_resending_makes_a_new_link_and_voids_the_old(
    invited, alice_client, client, django_capture_on_commit_callbacks
):
    old = link_in_mail()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reverse("admins:resend", args=[invited.code]))
    new = link_in_mail()
    assert new != old
    client.get(old)
    assert "kennen wir nicht" in client.get(reverse("invitation:accept")).content.decode()
    assert accept(client, new).status_code == 302


def test_the_username_and_password_are_checked(invited, client, bob):
    link = link_in_mail()
    response = accept(client, link, username="bob", password="kurz")
    assert response.status_code == 400
    page = response.content.decode()
    assert "Dieser Benutzername ist bereits vergeben." in page
    assert "Dieses Passwort ist zu kurz." in page
    invited.refresh_from_db()
    assert invited.accepted_at is None


def test_a_second_invitation_to_the_same_address_is_refused(invited, alice_client):
    response = invite(alice_client)
    assert "schon eine Einladung unterwegs" in response.content.decode()
    assert AdminInvitation.objects.count() == 1


def test_the_list_shows_open_invitations(invited, alice_client):
    page = alice_client.get(reverse("admins:list")).content.decode()
    assert "nora@example.com" in page
    assert "Erneut senden" in page


def test_another_customers_admin_cannot_revoke(invited, charlie):
    response = client_for(charlie).post(reverse("admins:revoke", args=[invited.code]))
    assert response.status_code in (403, 404)
    invited.refresh_from_db()
    assert invited.revoked_at is None
