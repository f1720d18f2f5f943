"""No secret on any log line: a whole flow with every logger at DEBUG, every line scanned.

The flow runs as in production without Redis (tasks in-process, in the request that causes
them): an admin logs in, orders two workplaces through the wizard (passwords by SMS and by
e-mail) with a webhook endpoint listening, an end user logs in to MyPortal with the temporary
password and changes it, asks for a new one ("Passwort vergessen"), a phone-setup link is
fetched, an API key is used (and a wrong one), an admin is invited and the link opened. Then
no line holds a password, its hash, a SIP ha1, a session id, an API key or its hash, a
phone-setup or invitation token, or the webhook secret.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse

from admins import invitations
from admins.models import AdminInvitation
from api import services as api_keys
from api.models import ApiKey
from notifications.sms import LocmemSmsBackend
from orders.models import Order
from orders.services import cart_of
from portal.models import User
from portal.policy import Actor
from provisioning.backends import digest_hashes
from tests.log_capture import log_lines  # noqa: F401 - fixture
from tests.myportal.conftest import NEW_PASSWORD
from tests.webhooks.conftest import receiver  # noqa: F401 - fixture
from tests.wizard_helpers import complete_draft
from webhooks import services as webhooks
from workplaces.models import Workplace
from workplaces.services import phone_setup

ADMIN_PASSWORD = "Secret-Pass-1"  # tests/conftest.py


def sms_password() -> str:
    return re.search(r"lautet (\S+) ", LocmemSmsBackend.outbox[-1]["body"]).group(1)


def mail_password(subject_part: str = "Passwort") -> str:
    [message] = [m for m in mail.outbox if subject_part in m.subject]
    return re.search(r"lautet:\n\n +(\S+)\n", message.body).group(1)


class Secrets(dict):
    """name → secret text; each must be long enough to mean something when not found."""

    def add(self, name: str, value: str) -> None:
        assert value and len(value) >= 8, name
        self[name] = value

    def add_password(self, name: str, password: str, username: str) -> None:
        self.add(name, password)
        realm = settings.SIP_DOMAIN or "sip.example.net"  # the registrar's, when there is one
        for i, ha1 in enumerate(
            digest_hashes(username=username, domain=realm, realm=realm, password=password)
        ):
            self.add(f"{name} ha1 {i}", ha1)


def session_id(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_no_secret_reaches_any_log_line_of_a_whole_flow(
    transactional_db,
    alice,
    trunk,
    receiver,  # noqa: F811
    log_lines,  # noqa: F811
    settings,
):
    scan_whole_flow(alice, trunk, receiver, log_lines, settings)
    # tests/provisioning/test_logs_secrets_registrar.py: the same with a real Kamailio.


def scan_whole_flow(alice, trunk, receiver, log_lines, settings, registrar=None) -> None:  # noqa: F811
    """The flow of the module's docstring; fails naming each secret found on a line."""
    sip_server = registrar is not None
    settings.WEBHOOKS_ALLOW_HTTP_LOOPBACK = True
    settings.MYPORTAL_RESET_MIN_SECONDS = 0
    alice.email = "alice@demo-gmbh.de"
    alice.save()
    found = Secrets()
    actor = Actor.for_admin(alice)
    _endpoint, webhook_secret = webhooks.create_endpoint(actor=actor, url=receiver.url)
    found.add("webhook secret", webhook_secret)
    found.add("webhook secret's key", webhook_secret.removeprefix("whsec_"))

    # The admin logs in and orders two workplaces.
    admin = Client()
    response = admin.post(
        reverse("portal:login"), {"username": "alice", "password": ADMIN_PASSWORD}
    )
    assert response.status_code == 302
    found.add_password("admin password", ADMIN_PASSWORD, "alice")
    found.add("admin password hash", User.objects.get(pk=alice.pk).password)
    found.add("admin session", session_id(admin))
    complete_draft(admin, trunk)  # password by SMS
    complete_draft(admin, trunk, username="erika.muster", mobile="")  # by e-mail
    response = admin.post(reverse("orders:place"), {"token": cart_of(alice).token})
    assert response.status_code == 302
    order = Order.objects.latest("pk")
    assert order.status == Order.Status.COMPLETED
    by_sms, by_mail = sms_password(), mail_password()
    found.add_password("temporary password by SMS", by_sms, "joerg.mueller")
    found.add_password("temporary password by e-mail", by_mail, "erika.muster")
    joerg = User.objects.get(username="joerg.mueller")
    found.add("temporary password hash", joerg.password)

    # MyPortal: the temporary password logs in, and is changed.
    end_user = Client()
    response = end_user.post(
        reverse("myportal:login"), {"username": "joerg.mueller", "password": by_sms}
    )
    assert response["Location"] == reverse("myportal:password_change")
    found.add("end user session", session_id(end_user))
    response = end_user.post(
        reverse("myportal:password_change"),
        {
            "current_password": by_sms,
            "new_password": NEW_PASSWORD,
            "new_password_repeat": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    found.add_password("own password", NEW_PASSWORD, "joerg.mueller")
    found.add("own password hash", User.objects.get(pk=joerg.pk).password)
    found.add("end user session after the change", session_id(end_user))

    # "Passwort vergessen": a new temporary password by SMS.
    sent = len(LocmemSmsBackend.outbox)
    Client().post(reverse("myportal:password_forgotten"), {"username": "joerg.mueller"})
    assert len(LocmemSmsBackend.outbox) == sent + 1
    found.add_password("forgotten password", sms_password(), "joerg.mueller")
    found.add("pending password hash", User.objects.get(pk=joerg.pk).pending_password)

    # "Telefon einrichten": the link's token; with a SIP server it hands out the account.
    issued = phone_setup.issue(workplace=Workplace.objects.get(username="joerg.mueller"))
    path = urlsplit(issued.url).path
    found.add("phone-setup token", path.rsplit("/", 1)[1])
    assert Client().get(path, secure=True).status_code == (200 if sip_server else 410)

    # The API: a key that works, one that does not.
    api_key, raw_key = api_keys.create_api_key(actor=actor, name="Warenwirtschaft")
    found.add("API key", raw_key)
    found.add("API key hash", ApiKey.objects.get(pk=api_key.pk).key_hash)
    response = Client().get("/api/v1/orders", HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    assert response.status_code == 200
    wrong = raw_key[:-6] + "XXXXXX"
    found.add("wrong API key", wrong)
    assert Client().get("/api/v1/orders", HTTP_AUTHORIZATION=f"Bearer {wrong}").status_code == 401

    # An admin invited; the link opened.
    invitations.invite_admin(
        actor=actor, email="neu@demo-gmbh.de", role="bearbeiter", limited=False
    )
    [invitation_mail] = [m for m in mail.outbox if "/einladung/" in m.body]
    token = re.search(r"/einladung/([^/\s]+)/", invitation_mail.body).group(1)
    found.add("invitation token", token)
    found.add("invitation token hash", AdminInvitation.objects.get().token_hash)
    invitee = Client()
    assert invitee.get(reverse("invitation:open", args=[token])).status_code == 302
    found.add("invitee session", session_id(invitee))

    if sip_server:  # the ha1 scanned for is the one the registrar holds
        [(ha1,)] = registrar.sql("SELECT ha1 FROM subscriber WHERE username = 'joerg.mueller'")
        assert ha1 == found["own password ha1 0"]

    lines = log_lines.lines()  # each line one JSON object
    text = log_lines.text
    leaked = [name for name, secret in found.items() if secret in text]
    assert not leaked, leaked

    # The scan saw the flow: its events, its requests (the token links cut), DEBUG lines.
    events = {line["event"] for line in lines}
    assert {"order_placed", "order_completed", "message_sent", "webhook_delivered"} <= events
    assert (
        len(log_lines.events("message_sent")) >= 7
    )  # 2 welcome, 2 passwords, order, reset, invite
    requests = {line.get("request") for line in log_lines.events("request_finished")}
    assert "GET /einladung/[redacted]/" in requests
    assert "GET /myportal/p/[redacted]" in requests
    api_lines = [line for line in lines if line.get("request") == "GET /api/v1/orders"]
    assert any(line.get("user_id") == alice.pk and line.get("api_key") for line in api_lines)
    assert any(line["level"] == "debug" for line in lines)
    if sip_server:
        assert len(log_lines.events("registrar_job_done")) >= 2


def test_the_scan_is_not_blind(log_lines, db):  # noqa: F811
    """What is logged is in the capture the scan reads."""
    logging.getLogger("portal.test").info("a plain mention of %s", "s3cr3t-t0ken-value")
    assert "s3cr3t-t0ken-value" in log_lines.text
