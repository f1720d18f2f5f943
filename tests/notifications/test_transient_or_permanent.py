"""Which delivery errors are worth another try, row by row, without Redis.

A transient error puts the row back to pending and raises ``portal.outbox.Deferred`` (the task retries
with backoff); a permanent one marks the row failed at once, and the order page offers
"Erneut senden". E-mails go through ``MAILERS``: a backend that raises the smtplib exception
of the row, or Django's own SMTP backend against a socket that misbehaves. SMS go through the
Twilio SDK to the local stand-in of Twilio's Messages API (tests/notifications/conftest.py).
"""

from __future__ import annotations

import smtplib
import socket
import threading
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from notifications import services
from notifications.models import Notification
from notifications.sms import LocmemSmsBackend
from notifications.tasks import deliver as deliver_task
from orders.models import Order
from orders.services import cart_of
from portal import outbox
from portal.models import User
from tests.notifications.conftest import (
    TWILIO_429,
    TWILIO_500,
    TWILIO_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN,
    TWILIO_FROM,
    TWILIO_INVALID_TO,
    TWILIO_NO_ANSWER,
    free_port,
    twilio_error,
)
from tests.wizard_helpers import complete_draft

PENDING, SENT, FAILED = (
    Notification.Status.PENDING,
    Notification.Status.SENT,
    Notification.Status.FAILED,
)
REFUSING = "tests.notifications.mail_backends.RefusingEmailBackend"
SMTP = "django.core.mail.backends.smtp.EmailBackend"
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"
RECIPIENT = "joerg@example.com"
SENDER = "portal@localhost"


def welcome_row() -> Notification:
    """A welcome e-mail waiting in the outbox (written directly: no task is handed it)."""
    return Notification.objects.create(
        kind=Notification.Kind.WELCOME,
        channel=Notification.Channel.EMAIL,
        recipient=RECIPIENT,
        context={
            "first_name": "Jörg",
            "last_name": "Müller",
            "username": "joerg.mueller",
            "number": "0228 181234-10",
            "by_sms": False,
            "masked_mobile": "",
        },
    )


def password_sms_row() -> Notification:
    user = User.objects.create_user(username="joerg.mueller", must_change_password=True)
    return Notification.objects.create(
        kind=Notification.Kind.PASSWORD_SMS,
        channel=Notification.Channel.SMS,
        recipient="+491701234567",
        user=user,
        context={"first_name": "Jörg", "last_name": "Müller", "username": user.username},
    )


def row(notification: Notification) -> Notification:
    return Notification.objects.get(pk=notification.pk)


def mailer(settings, backend: str, **options) -> None:
    settings.MAILERS = {"default": {"BACKEND": backend, "OPTIONS": options}}


def assert_transient(notification: Notification, claim: str, *expected: str) -> Notification:
    """One attempt fails, worth another try: the row is pending again, not failed."""
    with pytest.raises(outbox.Deferred) as raised:
        services.deliver(notification.pk, claim=claim)
    after = row(notification)
    assert (after.status, after.attempts, after.claimed_by) == (PENDING, 1, "")
    # Due again after the outbox's backoff; the task retries with that countdown.
    assert after.next_attempt_at > timezone.now()
    assert 0 < raised.value.countdown <= settings.NOTIFICATION_RETRY_MAX_SECONDS
    for text in expected:
        assert text in after.last_error and text in str(raised.value)
    assert not after.sent_at and not after.provider_id
    return after


def assert_permanent(notification: Notification, claim: str, *expected: str) -> Notification:
    """One attempt fails for good: the row is failed; delivering it again does nothing."""
    assert services.deliver(notification.pk, claim=claim) is False
    after = row(notification)
    assert (after.status, after.attempts, after.claimed_by) == (FAILED, 1, "")
    for text in expected:
        assert text in after.last_error
    assert not after.sent_at and not after.provider_id
    assert services.deliver(notification.pk, claim=claim + "-again") is False
    assert row(notification).attempts == 1
    return after


# --- SMTP: smtplib's exceptions, as Django's SMTP backend raises them ------------------------

SMTP_TRANSIENT = {
    "421 on connect": (
        smtplib.SMTPConnectError(421, b"4.3.2 Service not available, closing channel"),
        ("SMTPConnectError", "421"),
    ),
    "421 on MAIL FROM": (
        smtplib.SMTPSenderRefused(421, b"4.7.0 Try again later, closing connection", SENDER),
        ("SMTPSenderRefused", "421"),
    ),
    "450 for the only recipient": (
        smtplib.SMTPRecipientsRefused({RECIPIENT: (450, b"4.2.1 Mailbox busy")}),
        ("SMTPRecipientsRefused", "450"),
    ),
    "451 and 452 for all recipients": (
        smtplib.SMTPRecipientsRefused(
            {
                RECIPIENT: (451, b"4.3.0 Greylisted, try again later"),
                "anna@example.com": (452, b"4.2.2 Mailbox full"),
            }
        ),
        ("SMTPRecipientsRefused", "451", "452"),
    ),
    "451 after DATA": (
        smtplib.SMTPDataError(451, b"4.3.0 Local error in processing"),
        ("SMTPDataError", "451"),
    ),
    "server disconnected": (
        smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
        ("SMTPServerDisconnected", "Connection unexpectedly closed"),
    ),
    "socket timeout": (TimeoutError("timed out"), ("TimeoutError", "timed out")),
    "connection refused": (
        ConnectionRefusedError(111, "Connection refused"),
        ("ConnectionRefusedError", "Connection refused"),
    ),
}

SMTP_PERMANENT = {
    "550 for the only recipient": (
        smtplib.SMTPRecipientsRefused({RECIPIENT: (550, b"5.1.1 User unknown")}),
        ("SMTPRecipientsRefused", "550", "User unknown"),
    ),
    "a 5xx among 4xx recipients": (
        smtplib.SMTPRecipientsRefused(
            {RECIPIENT: (451, b"4.3.0 Try again later"), "anna@example.com": (550, b"5.1.1 No")}
        ),
        ("SMTPRecipientsRefused", "550"),
    ),
    "554 after DATA": (
        smtplib.SMTPDataError(554, b"5.7.1 Message rejected"),
        ("SMTPDataError", "554", "Message rejected"),
    ),
    "552 message too big": (
        smtplib.SMTPDataError(552, b"5.3.4 Message size exceeds fixed limit"),
        ("SMTPDataError", "552"),
    ),
    "550 for the sender": (
        smtplib.SMTPSenderRefused(550, b"5.7.1 Sender address rejected", SENDER),
        ("SMTPSenderRefused", "550"),
    ),
    "535 authentication": (
        smtplib.SMTPAuthenticationError(535, b"5.7.8 Authentication credentials invalid"),
        ("SMTPAuthenticationError", "535"),
    ),
}


@pytest.mark.parametrize("case", SMTP_TRANSIENT)
def test_a_transient_smtp_error_puts_the_row_back_and_the_next_attempt_sends_it(settings, db, case):
    error, expected = SMTP_TRANSIENT[case]
    mailer(settings, REFUSING, error=error)
    welcome = welcome_row()
    assert_transient(welcome, "task-1", *expected)
    assert mail.outbox == []

    # The server is fine again: the retry claims the pending row and sends it once.
    mailer(settings, LOCMEM)
    assert services.deliver(welcome.pk, claim="task-1") is True
    sent = row(welcome)
    assert (sent.status, sent.attempts, sent.last_error) == (SENT, 2, "")
    [message] = mail.outbox
    assert message.to == [RECIPIENT] and sent.provider_id == message.extra_headers["Message-ID"]


@pytest.mark.parametrize("case", SMTP_PERMANENT)
def test_a_permanent_smtp_error_fails_the_row_at_once(settings, db, case):
    error, expected = SMTP_PERMANENT[case]
    mailer(settings, REFUSING, error=error)
    welcome = welcome_row()
    assert_permanent(welcome, "task-1", *expected)
    mailer(settings, LOCMEM)  # a later delivery of the failed row still sends nothing
    assert services.deliver(welcome.pk, claim="task-2") is False
    assert mail.outbox == []


# --- SMTP on the wire: Django's SMTP backend against sockets that misbehave -----------------


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A TCP port on 127.0.0.1 that takes connections but never speaks SMTP."""
    with socket.create_server(("127.0.0.1", 0)) as sock:
        yield sock


def hang_up_on_connect(sock: socket.socket) -> threading.Thread:
    def serve() -> None:
        connection, _address = sock.accept()
        connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return thread


def test_smtp_port_closed_is_transient(settings, db):
    mailer(settings, SMTP, host="127.0.0.1", port=free_port(), timeout=5)
    assert_transient(welcome_row(), "task-1", "ConnectionRefusedError")


def test_smtp_server_hanging_up_before_its_greeting_is_transient(settings, db, listener):
    mailer(settings, SMTP, host="127.0.0.1", port=listener.getsockname()[1], timeout=5)
    thread = hang_up_on_connect(listener)
    assert_transient(welcome_row(), "task-1", "SMTPServerDisconnected")
    thread.join(timeout=5)


def test_smtp_server_that_never_greets_times_out_and_is_transient(settings, db, listener):
    mailer(settings, SMTP, host="127.0.0.1", port=listener.getsockname()[1], timeout=0.3)
    # smtplib reports the read timeout while waiting for the greeting as a disconnect.
    assert_transient(welcome_row(), "task-1", "SMTPServerDisconnected", "timed out")


# --- Twilio: the SDK's errors for the stand-in's answers -------------------------------------


@pytest.fixture
def twilio(settings, db, twilio_server):
    settings.SMS_BACKEND = "notifications.sms.TwilioSmsBackend"
    settings.TWILIO_ACCOUNT_SID = TWILIO_ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = TWILIO_AUTH_TOKEN
    settings.TWILIO_FROM = TWILIO_FROM
    settings.TWILIO_API_BASE_URL = twilio_server.url
    settings.TWILIO_TIMEOUT = 5
    return twilio_server


TWILIO_TRANSIENT = {
    "500": (TWILIO_500, ("Twilio 500", "20500")),
    "502": (twilio_error(502, 20502, "Bad Gateway"), ("Twilio 502",)),
    "503": (twilio_error(503, 20503, "Service Unavailable"), ("Twilio 503", "20503")),
    "429": (TWILIO_429, ("Twilio 429", "20429", "Too Many Requests")),
}

TWILIO_PERMANENT = {
    "400 21211 invalid number": (TWILIO_INVALID_TO, ("Twilio 400 21211", "not a valid phone")),
    "400 21610 unsubscribed": (
        twilio_error(400, 21610, "Attempt to send to unsubscribed recipient"),
        ("Twilio 400 21610",),
    ),
    "401 authentication": (twilio_error(401, 20003, "Authenticate"), ("Twilio 401 20003",)),
    "403 region not enabled": (
        twilio_error(403, 21408, "Permission to send an SMS has not been enabled"),
        ("Twilio 403 21408",),
    ),
    "404 unknown account": (
        twilio_error(404, 20404, "The requested resource was not found"),
        ("Twilio 404 20404",),
    ),
}


@pytest.mark.parametrize("case", TWILIO_TRANSIENT)
def test_a_transient_twilio_answer_puts_the_row_back_and_the_next_attempt_sends_it(twilio, case):
    answer, expected = TWILIO_TRANSIENT[case]
    twilio.answer(answer)
    password_sms = password_sms_row()
    assert_transient(password_sms, "task-1", *expected)

    assert services.deliver(password_sms.pk, claim="task-1") is True  # Twilio answers 201
    sent = row(password_sms)
    assert [r["status"] for r in twilio.requests] == [answer[0], 201]
    [created] = twilio.created
    assert (sent.status, sent.attempts, sent.last_error) == (SENT, 2, "")
    assert sent.provider_id == created["sid"]


@pytest.mark.parametrize("case", TWILIO_PERMANENT)
def test_a_permanent_twilio_answer_fails_the_row_at_once(twilio, case):
    answer, expected = TWILIO_PERMANENT[case]
    twilio.answer(answer)
    assert_permanent(password_sms_row(), "task-1", *expected)
    assert [r["status"] for r in twilio.requests] == [answer[0]]  # not asked again


def test_twilio_not_answering_in_time_is_transient(twilio, settings):
    settings.TWILIO_TIMEOUT = 0.3
    twilio.answer(TWILIO_NO_ANSWER)
    assert_transient(password_sms_row(), "task-1", "Twilio not reachable", "ReadTimeout")
    assert [r["status"] for r in twilio.requests] == [None]


def test_twilio_unreachable_is_transient(twilio, settings):
    settings.TWILIO_API_BASE_URL = f"http://127.0.0.1:{free_port()}"
    assert_transient(password_sms_row(), "task-1", "Twilio not reachable", "ConnectionError")
    assert twilio.requests == []


# --- What the admin sees ---------------------------------------------------------------------


def test_a_permanent_smtp_error_fails_the_message_and_the_order_page_offers_resend(
    alice_client, alice, trunk, settings, django_capture_on_commit_callbacks
):
    mailer(
        settings,
        REFUSING,
        error=smtplib.SMTPRecipientsRefused({"joerg@example.com": (550, b"5.1.1 User unknown")}),
    )
    complete_draft(alice_client, trunk)
    with django_capture_on_commit_callbacks(execute=True):  # the order, then its messages
        alice_client.post(reverse("orders:place"), {"token": cart_of(alice).token})
    order = Order.objects.get()
    assert order.status == Order.Status.COMPLETED

    welcome = order.notifications.get(kind=Notification.Kind.WELCOME)
    assert (welcome.status, welcome.attempts) == (FAILED, 1)
    assert "550" in welcome.last_error and "User unknown" in welcome.last_error
    password_sms = order.notifications.get(kind=Notification.Kind.PASSWORD_SMS)
    assert password_sms.status == SENT and len(LocmemSmsBackend.outbox) == 1

    detail = reverse("orders:detail", args=[order.code])
    resend = reverse("orders:resend", args=[order.code, welcome.code])
    page = alice_client.get(detail).content.decode()
    assert "Fehlgeschlagen" in page and "User unknown" in page
    assert page.count("Erneut senden") == 1 and f'action="{resend}"' in page

    mailer(settings, LOCMEM)  # the address is fixed at the provider's end
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(resend)
    assert response.status_code == 302 and response["Location"] == detail
    sent = row(welcome)
    assert (sent.status, sent.attempts, sent.last_error) == (SENT, 2, "")
    [message] = mail.outbox
    assert message.to == ["joerg@example.com"] and "Willkommen" in message.subject
    page = alice_client.get(detail).content.decode()
    assert "Erneut senden" not in page and "Fehlgeschlagen" not in page


def test_in_process_a_transient_error_is_retried_to_the_limit_then_failed(settings, db):
    """Without a worker (tasks run in the process), the retries follow at once; after the
    last one the row is failed and visible, not pending for ever."""
    mailer(settings, REFUSING, error=smtplib.SMTPDataError(451, b"4.3.0 Try again later"))
    welcome = welcome_row()
    deliver_task.apply(args=(welcome.pk,))
    failed = row(welcome)
    assert (failed.status, failed.attempts) == (FAILED, deliver_task.max_retries + 1)
    assert "SMTPDataError" in failed.last_error and "451" in failed.last_error


def test_in_process_a_permanent_error_is_tried_once(settings, db):
    mailer(settings, REFUSING, error=smtplib.SMTPDataError(554, b"5.7.1 Message rejected"))
    welcome = welcome_row()
    deliver_task.apply(args=(welcome.pk,))
    failed = row(welcome)
    assert (failed.status, failed.attempts) == (FAILED, 1)
