""" "Passwort vergessen": a new temporary password on the user's channel, nothing else given away.

The current password keeps working until the new one is used, so nobody is locked out.
"""

from __future__ import annotations

import re
import time

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from notifications.models import Notification
from notifications.sms import LocmemSmsBackend
from portal.models import AuditEvent
from tests.myportal.conftest import (
    MYPORTAL_FORGOTTEN,
    MYPORTAL_LOGIN,
    NEW_PASSWORD,
    last_mail_password,
    last_sms_password,
    log_in,
)
from workplaces.models import Workplace

FORGOTTEN = MYPORTAL_FORGOTTEN
HOME = reverse("myportal:home")
PASSWORD_CHANGE = reverse("myportal:password_change")
SENT = "Wenn zu diesem Benutzernamen ein aktiver Zugang besteht"
LIMITED = "zu viele neue Passwörter angefordert"


def test_the_page_asks_for_the_username(client, db):
    page = client.get(FORGOTTEN).content.decode()
    assert "<h1>Passwort vergessen</h1>" in page
    assert '<label for="id_username">Benutzername' in page


def test_a_new_password_comes_by_sms_and_the_old_one_keeps_working(ask, end_user_client, by_sms):
    sent_before = len(LocmemSmsBackend.outbox)
    response = ask("joerg.mueller")
    assert response.status_code == 302
    assert response["Location"] == MYPORTAL_LOGIN
    assert len(LocmemSmsBackend.outbox) == sent_before + 1
    sms = LocmemSmsBackend.outbox[-1]
    assert sms["to"] == "+491701234567"
    assert "neues temporäres Passwort" in sms["body"]
    assert "das bisherige gilt, bis Sie das neue verwenden" in sms["body"]
    # Whoever asked cannot lock Jörg out: his session and his password still work.
    assert end_user_client.get(reverse("myportal:home")).status_code == 200
    assert log_in(Client(), "joerg.mueller", NEW_PASSWORD)["Location"] == HOME
    user = by_sms.workplace.user
    user.refresh_from_db()
    assert not user.must_change_password
    assert user.pending_password and user.pending_password_set_at
    assert last_sms_password() not in user.pending_password  # a hash, never the password


def test_the_first_login_with_the_new_password_stops_the_old_one(ask, end_user_client, by_sms):
    ask("joerg.mueller")
    password = last_sms_password()
    assert log_in(Client(), "joerg.mueller", NEW_PASSWORD)["Location"] == HOME  # still pending
    assert log_in(Client(), "joerg.mueller", password)["Location"] == PASSWORD_CHANGE
    refused = log_in(Client(), "joerg.mueller", NEW_PASSWORD)
    assert "Benutzername oder Passwort sind nicht korrekt." in refused.content.decode()
    # The old password's sessions end with it; the new one is the password now, to be replaced.
    assert end_user_client.get(reverse("myportal:home")).status_code == 302
    user = by_sms.workplace.user
    user.refresh_from_db()
    assert user.check_password(password) and user.must_change_password
    assert user.pending_password == "" and user.pending_password_set_at is None
    assert user.temporary_password_set_at is not None
    assert log_in(Client(), "joerg.mueller", password)["Location"] == PASSWORD_CHANGE


def test_a_newer_request_replaces_the_pending_password(ask, end_user_client, by_sms):
    ask("joerg.mueller", address="198.51.100.1")
    first = last_sms_password()
    ask("joerg.mueller", address="198.51.100.2")
    second = last_sms_password()
    refused = log_in(Client(), "joerg.mueller", first)
    assert "Benutzername oder Passwort sind nicht korrekt." in refused.content.decode()
    assert log_in(Client(), "joerg.mueller", second)["Location"] == PASSWORD_CHANGE


def test_changing_the_password_voids_a_pending_one(ask, end_user_client, by_sms):
    ask("joerg.mueller")
    pending = last_sms_password()
    response = end_user_client.post(
        PASSWORD_CHANGE,
        {
            "current_password": NEW_PASSWORD,
            "new_password": "Mondschein-an-der-Ahr-7",
            "new_password_repeat": "Mondschein-an-der-Ahr-7",
        },
    )
    assert response["Location"] == HOME
    refused = log_in(Client(), "joerg.mueller", pending)
    assert "Benutzername oder Passwort sind nicht korrekt." in refused.content.decode()


def test_an_admins_reset_stops_the_current_and_the_pending_password(
    ask, end_user_client, by_sms, alice_client, django_capture_on_commit_callbacks
):
    ask("joerg.mueller")
    pending = last_sms_password()
    reset = reverse("manage:reset_password", args=[by_sms.workplace.code])
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reset)
    by_admin = last_sms_password()
    assert "bitte ändern Sie es bei der nächsten Anmeldung" in LocmemSmsBackend.outbox[-1]["body"]
    for old in (NEW_PASSWORD, pending):
        refused = log_in(Client(), "joerg.mueller", old)
        assert "Benutzername oder Passwort sind nicht korrekt." in refused.content.decode()
    assert log_in(Client(), "joerg.mueller", by_admin)["Location"] == PASSWORD_CHANGE
    rows = Notification.objects.filter(kind=Notification.Kind.PASSWORD_RESET_SMS)
    assert [r.keeps_current_password for r in rows.order_by("pk")] == [True, False]


def test_the_page_says_that_the_old_password_keeps_working(ask, by_sms):
    page = follow(ask("joerg.mueller")).content.decode()
    assert (
        "Ihr bisheriges Passwort gilt weiter, bis Sie sich zum ersten Mal mit dem neuen anmelden."
        in page
    )
    assert "gilt ab sofort nicht mehr" not in page


def test_without_a_mobile_number_it_comes_by_email(ask, by_email):
    mail.outbox.clear()
    ask("ohne.handy")
    assert [m.to for m in mail.outbox] == [["joerg@example.com"]]
    message = mail.outbox[0]
    assert message.subject == "Ihr neues temporäres Passwort für MyPortal"
    said = "Ihr bisheriges Passwort gilt weiter, bis Sie sich zum ersten Mal mit diesem neuen"
    assert said in " ".join(message.body.split())
    assert said in " ".join(message.alternatives[0].content.split())
    password = last_mail_password()
    assert password != by_email.password
    assert log_in(Client(), "ohne.handy", by_email.password)["Location"] == PASSWORD_CHANGE
    assert log_in(Client(), "ohne.handy", password)["Location"] == PASSWORD_CHANGE
    by_email.workplace.user.refresh_from_db()
    assert by_email.workplace.user.check_password(password)
    assert not by_email.workplace.user.check_password(by_email.password)
    assert not LocmemSmsBackend.outbox[1:]


def test_the_request_is_in_the_audit_log_as_anonymous_with_the_address(ask, by_sms, alice_client):
    ask("joerg.mueller", address="198.51.100.7")
    event = AuditEvent.objects.get(action="password_reset")
    assert event.actor is None
    assert event.remote_addr == "198.51.100.7"
    assert event.object_code == str(by_sms.workplace.code)
    assert event.text == "Neues Passwort für joerg.mueller über „Passwort vergessen“ angefordert"
    page = alice_client.get(reverse("portal:protokoll")).content.decode()
    assert re.search(r"<td[^>]*>Anonym</td><td[^>]*>Passwort zurückgesetzt</td>", page)


@pytest.mark.parametrize("username", ["niemand.hier", "alice", "geloescht.1"])
def test_the_answer_is_the_same_when_nothing_is_sent(ask, by_sms, alice, username):
    Workplace.objects.create(
        trunk=by_sms.workplace.trunk, username="geloescht.1", status=Workplace.Status.DELETED
    )
    known = ask("joerg.mueller", address="198.51.100.1")
    notifications = Notification.objects.count()
    unknown = ask(username, address="198.51.100.2")
    assert Notification.objects.count() == notifications
    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert sorted(unknown.cookies) == sorted(known.cookies)
    # The message rides along to the login page: the same words either way.
    said = messages_on(follow(unknown))
    assert said == messages_on(follow(known))
    assert SENT in said
    if username == "alice":
        alice.refresh_from_db()
        assert alice.check_password("Secret-Pass-1")


def messages_on(page) -> str:
    return re.search(r'<ul class="messages">.*?</ul>', page.content.decode(), re.S).group(0)


def follow(response):
    """The login page the answer leads to, with the message the answer left."""
    client = Client()
    client.cookies.load({name: cookie.value for name, cookie in response.cookies.items()})
    return client.get(response["Location"])


def test_a_deleted_workplace_gets_no_new_password(ask, by_sms):
    Workplace.objects.filter(pk=by_sms.workplace.pk).update(status=Workplace.Status.DELETED)
    before = len(LocmemSmsBackend.outbox)
    assert SENT in follow(ask("joerg.mueller")).content.decode()
    assert len(LocmemSmsBackend.outbox) == before


def test_a_username_that_breaks_the_rules_gets_a_field_error(ask, db):
    response = ask("Joerg.Mueller")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="id_username_error"' in page
    assert "Kleinbuchstaben" in page


def test_requests_are_limited_per_username(ask, by_sms, settings):
    before = len(LocmemSmsBackend.outbox)
    for n in range(settings.MYPORTAL_RESETS_PER_USERNAME):
        assert ask("joerg.mueller", address=f"198.51.100.{n + 1}").status_code == 302
    limited = ask("joerg.mueller", address="203.0.113.9")
    assert limited.status_code == 429
    assert LIMITED in limited.content.decode()
    assert len(LocmemSmsBackend.outbox) == before + settings.MYPORTAL_RESETS_PER_USERNAME
    # Another username from the same address is still served.
    assert ask("niemand.hier", address="203.0.113.9").status_code == 302


def test_requests_are_limited_per_address(ask, by_sms, settings):
    for n in range(settings.MYPORTAL_RESETS_PER_ADDRESS):
        assert ask(f"unbekannt{n}", address="198.51.100.7").status_code == 302
    before = len(LocmemSmsBackend.outbox)
    limited = ask("joerg.mueller", address="198.51.100.7")
    assert limited.status_code == 429
    page = limited.content.decode()
    assert LIMITED in page
    assert 'role="alert"' in page
    assert len(LocmemSmsBackend.outbox) == before
    # Unknown usernames count like known ones, and other addresses are still served.
    assert ask("joerg.mueller", address="198.51.100.8").status_code == 302
    assert len(LocmemSmsBackend.outbox) == before + 1


def test_the_limit_ends_after_an_hour(ask, by_sms, settings):
    import time_machine

    with time_machine.travel("2026-11-25 10:00 +0100", tick=False) as traveller:
        for _ in range(settings.MYPORTAL_RESETS_PER_USERNAME + 1):
            response = ask("joerg.mueller")
        assert response.status_code == 429
        traveller.shift(60 * 60 + 1)
        assert ask("joerg.mueller").status_code == 302


def test_known_and_unknown_usernames_take_equally_long(ask, by_sms, settings):
    """Both answers wait for the same floor, so timing does not tell which usernames exist."""
    settings.MYPORTAL_RESET_MIN_SECONDS = 0.3
    durations = {}
    for username in ("joerg.mueller", "niemand.hier"):
        started = time.monotonic()
        assert ask(username, address=f"198.51.100.{len(durations) + 1}").status_code == 302
        durations[username] = time.monotonic() - started
    assert min(durations.values()) >= 0.3


def test_the_page_says_the_current_password_keeps_working(client, db):
    page = client.get(FORGOTTEN).content.decode()
    assert "Ihr bisheriges Passwort gilt weiter, bis Sie sich zum ersten Mal mit dem neuen" in page
    assert "gilt ab dann nicht mehr" not in page


def test_with_a_worker_the_request_hands_over_any_username_and_waits_for_nothing(
    ask, by_sms, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """No sleep holds a web worker: with a broker the request counts and enqueues, the same
    for a known and an unknown username, and the worker sends the message."""
    from workplaces import tasks
    from workplaces.myportal import services

    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.MYPORTAL_RESET_MIN_SECONDS = 30  # would be felt if anything still waited
    handed_over = []
    monkeypatch.setattr(services, "enqueue", lambda name, *args: handed_over.append((name, args)))
    monkeypatch.setattr(services.time, "sleep", lambda seconds: pytest.fail("slept"))
    sent_before = len(LocmemSmsBackend.outbox)

    for username in ("joerg.mueller", "niemand.hier"):
        assert ask(username, address="198.51.100.7").status_code == 302

    assert [name for name, _ in handed_over] == ["workplaces.tasks.send_password_reset"] * 2
    assert [args[1:] for _, args in handed_over] == [("198.51.100.7", "de")] * 2
    assert len(LocmemSmsBackend.outbox) == sent_before
    with django_capture_on_commit_callbacks(execute=True):
        for _, args in handed_over:
            tasks.send_password_reset(*args)
    assert len(LocmemSmsBackend.outbox) == sent_before + 1
    assert LocmemSmsBackend.outbox[-1]["to"] == "+491701234567"
