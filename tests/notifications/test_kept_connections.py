"""The delivery keeps its SMTP connection and its Twilio client from one message to the next,
and still sends each message at most once per attempt: a failure closes the connection and
defers the row as before, the next attempt starts on a new one."""

from __future__ import annotations

import socket

import pytest

from notifications import mailer, services, sms
from notifications.models import Notification
from portal import outbox
from tests.notifications.conftest import (
    TWILIO_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN,
    TWILIO_FROM,
)
from tests.notifications.test_reliability import queue_welcome


@pytest.fixture
def smtp(settings, smtp_server):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": smtp_server.port, "timeout": 5},
        }
    }
    peers: list[tuple] = []
    handle_data = smtp_server.handler.handle_DATA

    async def recording(server, session, envelope):
        peers.append(session.peer)
        return await handle_data(server, session, envelope)

    smtp_server.handler.handle_DATA = recording
    smtp_server.peers = peers
    yield smtp_server
    mailer.close_all()


def welcome(recipient: str = "joerg@example.com") -> Notification:
    """A welcome e-mail's row (its task would be enqueued on commit: never, in a test)."""
    notification = queue_welcome()
    Notification.objects.filter(pk=notification.pk).update(recipient=recipient)
    return notification


def deliver(notification: Notification) -> bool:
    return services.deliver(notification.pk, claim=f"task-{notification.pk}")


@pytest.mark.django_db
def test_e_mails_one_after_another_share_one_smtp_connection(smtp):
    for i in range(3):
        assert deliver(welcome(f"user{i}@example.com"))
    assert [m["To"] for m in smtp.messages] == [f"user{i}@example.com" for i in range(3)]
    assert len(set(smtp.peers)) == 1


@pytest.mark.django_db
def test_a_dropped_connection_defers_the_row_once_and_the_retry_sends_on_a_new_one(smtp):
    assert deliver(welcome("first@example.com"))
    smtp.handler.mode = "close"
    dropped = welcome("second@example.com")
    with pytest.raises(outbox.Deferred):
        deliver(dropped)
    assert Notification.objects.get(pk=dropped.pk).status == Notification.Status.PENDING
    smtp.handler.mode = "accept"
    assert deliver(dropped)
    assert [m["To"] for m in smtp.messages] == ["first@example.com", "second@example.com"]
    assert smtp.handler.closed == 1
    kept, _dropped, retry = smtp.peers  # the dropped attempt was on the kept connection
    assert _dropped == kept != retry


@pytest.mark.django_db
def test_an_idle_connection_the_server_has_dropped_is_replaced_before_use(smtp, monkeypatch):
    assert deliver(welcome("first@example.com"))
    monkeypatch.setattr(mailer, "IDLE_SECONDS", 0)
    kept = mailer._kept_connection()
    # As if the server had timed the idle client out.
    kept.backend.connection.sock.shutdown(socket.SHUT_RDWR)
    assert deliver(welcome("second@example.com"))  # checked with NOOP, then a new connection
    assert [m["To"] for m in smtp.messages] == ["first@example.com", "second@example.com"]
    assert len(set(smtp.peers)) == 2


def test_the_twilio_client_is_kept_per_thread_and_settings(settings, twilio_server):
    settings.TWILIO_ACCOUNT_SID = TWILIO_ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = TWILIO_AUTH_TOKEN
    settings.TWILIO_FROM = TWILIO_FROM
    settings.TWILIO_API_BASE_URL = twilio_server.url
    first = sms.TwilioSmsBackend()
    assert first.send("+491701234567", "eins").startswith("SM")
    second = sms.TwilioSmsBackend()
    assert second.client is first.client
    assert second.send("+491701234568", "zwei").startswith("SM")
    settings.TWILIO_TIMEOUT = settings.TWILIO_TIMEOUT + 1
    assert sms.TwilioSmsBackend().client is not first.client
    sms.TwilioSmsBackend.close_all()
