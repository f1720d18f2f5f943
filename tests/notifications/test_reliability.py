"""The outbox against real infrastructure: Redis, Celery workers, SMTP and the Twilio SDK.

Nothing here is eager or mocked inside the project: messages go through a private Redis to a
worker of ``portal.celery.app``, e-mails over SMTP to aiosmtpd, SMS through the Twilio SDK to
a local server that answers like Twilio's Messages API. The tests poll the database, the
servers and Redis with timeouts instead of sleeping.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import identify_hasher
from django.db import transaction
from django.db.models import F
from django.urls import reverse

from notifications import services
from notifications.models import Notification
from notifications.tasks import deliver
from orders.models import Order
from orders.services import cart_of
from portal import outbox
from portal.models import User
from portal.policy import Actor
from tests.notifications.conftest import (
    TWILIO_429,
    TWILIO_500,
    TWILIO_INVALID_TO,
    text_of,
    wait_for,
    wait_idle,
)
from tests.wizard_helpers import complete_draft
from workplaces.models import Workplace
from workplaces.services import credentials

pytestmark = pytest.mark.redis

DELIVER = "notifications.tasks.deliver"
SENT, FAILED, PENDING = (
    Notification.Status.SENT,
    Notification.Status.FAILED,
    Notification.Status.PENDING,
)


@pytest.fixture
def admin_with_email(alice):
    alice.email = "alice@demo-gmbh.de"
    alice.save()
    return alice


def end_user(username: str = "joerg.mueller") -> User:
    """A login as order processing makes it: no usable password until one is sent."""
    return User.objects.create_user(
        username=username, first_name="Jörg", last_name="Müller", must_change_password=True
    )


def queue_welcome() -> Notification:
    with transaction.atomic():  # handed to the worker on commit, like every outbox row
        return services.queue(
            kind=Notification.Kind.WELCOME,
            channel=Notification.Channel.EMAIL,
            recipient="joerg@example.com",
            context={
                "first_name": "Jörg",
                "last_name": "Müller",
                "username": "joerg.mueller",
                "number": "0228 181234-10",
                "by_sms": False,
                "masked_mobile": "",
            },
        )


def queue_password(user: User, *, sms: bool) -> Notification:
    with transaction.atomic():
        return services.queue(
            kind=Notification.Kind.PASSWORD_SMS if sms else Notification.Kind.PASSWORD_EMAIL,
            channel=Notification.Channel.SMS if sms else Notification.Channel.EMAIL,
            recipient="+491701234567" if sms else "joerg@example.com",
            user_id=user.pk,
            context={"first_name": "Jörg", "last_name": "Müller", "username": user.username},
        )


def row(notification: Notification) -> Notification:
    return Notification.objects.get(pk=notification.pk)


def status_becomes(notification: Notification, status: str) -> Notification | None:
    current = row(notification)
    return current if current.status == status else None


def sms_password(body: str) -> str:
    return re.search(r"lautet (\S+) ", body).group(1)


def mail_password(message) -> str:
    return re.search(r"^\s+(\S+)$", text_of(message), re.MULTILINE).group(1)


def place_order(client, admin) -> Order:
    response = client.post(reverse("orders:place"), {"token": cart_of(admin).token})
    order = Order.objects.latest("pk")
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:detail", args=[order.code])
    return order


def all_settled(order: Order) -> bool:
    """The order is done and each of its messages is sent or failed for good."""
    order.refresh_from_db()
    rows = list(order.notifications.all())
    return (
        order.status == Order.Status.COMPLETED
        and bool(rows)
        and all(n.status in (SENT, FAILED) for n in rows)
    )


def run_beat(app, *entries: str) -> None:
    """Publish beat entries by name, as ``celery beat`` does every minute."""
    for entry in entries:
        app.send_task(app.conf.beat_schedule[entry]["task"])


def ran(app, task: str = DELIVER) -> list[str]:
    """Ids of the tasks the in-process worker started."""
    return [task_id for name, task_id in app.ran if name == task]


def held(redis) -> list[str]:
    """Task ids of the messages Redis holds for a worker until it acknowledges them."""
    return [json.loads(raw)[0]["headers"]["id"] for raw in redis.hvals("unacked")]


def test_smtp_unreachable_then_back_is_delivered_once_after_retries_with_backoff(
    live_celery, redis_server, smtp_server, celery_worker, monkeypatch
):
    countdowns = []

    backoff = outbox.backoff

    def recorded_backoff(attempts: int, **limits: float) -> float:
        countdowns.append(backoff(attempts, **limits))
        return countdowns[-1]

    monkeypatch.setattr(outbox, "backoff", recorded_backoff)
    smtp_server.stop()
    welcome = queue_welcome()
    failing = wait_for(
        lambda: (r := row(welcome)).attempts >= 2 and r.status == PENDING and r,
        what="two attempts at the closed SMTP port, waiting for the next",
    )
    assert failing.last_error.startswith("ConnectionRefusedError")

    # Back, but first dropping the connection, then answering 451: both are worth a retry.
    smtp_server.handler.mode = "close"
    smtp_server.start()
    wait_for(lambda: smtp_server.handler.closed, what="a dropped SMTP connection")
    smtp_server.handler.mode = "refuse"
    wait_for(lambda: smtp_server.handler.refused, what="a 451 from the SMTP server")
    smtp_server.handler.mode = "accept"

    sent = wait_for(lambda: status_becomes(welcome, SENT), what="the welcome e-mail sent")
    wait_idle(redis_server)
    [message] = smtp_server.messages
    assert message["To"] == "joerg@example.com"
    assert "Willkommen" in message["Subject"]
    assert sent.attempts >= 4 and sent.last_error == "" and sent.sent_at
    assert sent.provider_id == message["Message-ID"]
    assert sent.attempts == len(live_celery.published.of(DELIVER))

    # Each retry waits longer: jitter within [cap/2, cap], cap = base * 2**retry, and the
    # retry message carries it as its ETA.
    retries = [m for m in live_celery.published.of(DELIVER) if m["headers"]["retries"]]
    assert len(retries) == len(countdowns) == sent.attempts - 1
    base = settings.NOTIFICATION_RETRY_BASE_SECONDS
    for number, (message, countdown) in enumerate(zip(retries, countdowns, strict=True)):
        cap = min(settings.NOTIFICATION_RETRY_MAX_SECONDS, base * 2**number)
        assert cap / 2 <= countdown <= cap
        assert message["headers"]["retries"] == number + 1
        eta = dt.datetime.fromisoformat(message["headers"]["eta"])
        assert 0 <= countdown - (eta - message["at"]).total_seconds() < 0.5


def test_twilio_500_then_429_then_201_is_delivered_once(
    live_celery, redis_server, twilio_server, celery_worker
):
    twilio_server.answer(TWILIO_500, TWILIO_429)
    user = end_user()
    password_sms = queue_password(user, sms=True)

    sent = wait_for(lambda: status_becomes(password_sms, SENT), what="the SMS sent")
    wait_idle(redis_server)
    assert [r["status"] for r in twilio_server.requests] == [500, 429, 201]
    [created] = twilio_server.created
    assert created["To"] == "+491701234567" and created["From"] == settings.TWILIO_FROM
    assert sent.attempts == 3 and sent.provider_id == created["sid"]
    user.refresh_from_db()
    assert user.check_password(sms_password(created["Body"]))


def test_twilio_21211_fails_at_once_shows_on_the_order_page_and_resend_delivers_once(
    alice_client,
    admin_with_email,
    trunk,
    live_celery,
    redis_server,
    smtp_server,
    twilio_server,
    celery_worker,
):
    twilio_server.answer(TWILIO_INVALID_TO)
    complete_draft(alice_client, trunk)
    order = place_order(alice_client, admin_with_email)
    wait_for(lambda: all_settled(order), what="the order processed and its messages settled")
    wait_idle(redis_server)

    # A permanent error: one request, no retry, the row failed with Twilio's answer.
    assert [r["status"] for r in twilio_server.requests] == [400]
    failed = order.notifications.get(kind=Notification.Kind.PASSWORD_SMS)
    assert failed.status == FAILED and failed.attempts == 1
    assert "21211" in failed.last_error and "not a valid phone number" in failed.last_error
    assert len(smtp_server.messages) == 2  # welcome and Auftragsinformation went out

    detail = reverse("orders:detail", args=[order.code])
    page = alice_client.get(detail).content.decode()
    assert "Fehlgeschlagen" in page and "Erneut senden" in page and "21211" in page
    resend = reverse("orders:resend", args=[order.code, failed.code])
    assert f'action="{resend}"' in page

    response = alice_client.post(resend)
    assert response.status_code == 302 and response["Location"] == detail
    sent = wait_for(lambda: status_becomes(failed, SENT), what="the resent SMS sent")
    wait_idle(redis_server)
    assert [r["status"] for r in twilio_server.requests] == [400, 201]
    [created] = twilio_server.created
    assert sent.attempts == 2 and sent.last_error == "" and sent.provider_id == created["sid"]
    user = Workplace.objects.get().user
    assert user.check_password(sms_password(created["Body"]))
    page = alice_client.get(detail).content.decode()
    assert "Erneut senden" not in page and "Fehlgeschlagen" not in page
    assert len(smtp_server.messages) == 2


@pytest.mark.parametrize("recovery", ["broker", "sweep"])
def test_a_worker_killed_in_the_middle_of_a_delivery_is_made_good_once(
    recovery, live_celery, redis_server, smtp_server, worker_process, start_celery_worker
):
    """SIGKILL while the SMTP server holds the message. The task was not acknowledged
    (``acks_late``): Redis hands it out again after the visibility timeout, with the same
    task id ("broker"); and the beat's sweep re-enqueues a row whose claim is older than the
    task time limit, with a new task id ("sweep"). Either way the e-mail arrives once."""
    app = live_celery
    smtp_server.handler.mode = "block"
    user = end_user()
    password_mail = queue_password(user, sms=False)
    [published] = app.published.of(DELIVER)
    original = published["headers"]["id"]

    worker = worker_process()
    wait_for(
        lambda: smtp_server.handler.blocked.is_set() or worker.process.poll() is not None,
        timeout=30,
        what="the worker process in the middle of sending",
    )
    assert worker.process.poll() is None, worker.output()
    claimed = row(password_mail)
    assert claimed.status == "sending" and claimed.attempts == 1
    assert claimed.claimed_by == original
    worker.kill()
    smtp_server.handler.mode = "accept"
    smtp_server.handler.release.set()

    # The message stays with Redis, unacknowledged, until its visibility timeout is over.
    redis = redis_server.client()
    [(_tag, taken_at)] = redis.zrange("unacked_index", 0, -1, withscores=True)

    if recovery == "broker":
        timeout = 1  # seconds, instead of the 900 of the settings
        wait_for(lambda: redis.time()[0] > taken_at + timeout + 0.2, what="visibility timeout")
        with start_celery_worker(
            visibility_timeout=timeout, unacked_restore_interval=1, unacked_restore_throttle=1
        ):
            sent = wait_for(lambda: status_becomes(password_mail, SENT), what="redelivery")
            wait_idle(redis_server)
        assert set(ran(app)) == {original}  # the same task again, no new one
    else:
        with start_celery_worker():  # the settings' visibility timeout: no redelivery now
            # The claim of the dead worker is now older than the task time limit.
            stale = dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 31)
            Notification.objects.update(claimed_at=F("claimed_at") - stale)
            run_beat(app, "sweep-outbox")
            sent = wait_for(lambda: status_becomes(password_mail, SENT), what="the sweep")
            wait_for(lambda: ran(app), what="the swept delivery")
            assert ran(app)[0] != original
            # The killed worker's message is still held by Redis, the others are done.
            wait_for(lambda: held(redis) == [original], what="only the killed message held")
        # When Redis finally hands out the killed worker's message, it finds the row sent.
        wait_for(lambda: redis.time()[0] > taken_at + 1.2, what="visibility timeout")
        with start_celery_worker(
            visibility_timeout=1, unacked_restore_interval=1, unacked_restore_throttle=1
        ):
            wait_for(lambda: original in ran(app), what="the killed worker's message again")
            wait_idle(redis_server)

    [message] = smtp_server.messages
    assert message["To"] == "joerg@example.com"
    assert sent.attempts == 2 and sent.status == SENT
    user.refresh_from_db()
    assert user.check_password(mail_password(message))
    assert row(password_mail).status == SENT


def test_redis_down_while_the_admin_orders_then_the_sweeps_deliver_everything_once(
    alice_client,
    admin_with_email,
    trunk,
    live_celery,
    redis_server,
    smtp_server,
    twilio_server,
    celery_worker,
):
    app = live_celery
    complete_draft(alice_client, trunk)
    redis_server.stop()
    order = place_order(alice_client, admin_with_email)
    page = alice_client.get(reverse("orders:detail", args=[order.code]))
    assert page.status_code == 200 and "Eingegangen" in page.content.decode()
    assert order.status == Order.Status.RECEIVED
    assert not Notification.objects.exists()

    redis_server.start()
    # Two minutes on, the beat's sweeps find the order that never reached a worker.
    Order.objects.update(created_at=F("created_at") - dt.timedelta(minutes=3))
    run_beat(app, "sweep-outbox", "sweep-orders")
    wait_for(lambda: all_settled(order), what="the swept order processed and its messages")
    wait_idle(redis_server)
    assert order.notifications.filter(status=SENT).count() == 3
    confirmation, welcome = sorted(m["Subject"] for m in smtp_server.messages)
    assert confirmation.startswith("Auftragsinformation") and order.number in confirmation
    assert welcome.startswith("Willkommen")
    [sms] = twilio_server.created
    user = Workplace.objects.get().user
    assert user.check_password(sms_password(sms["Body"]))

    # The beat keeps running; later sweeps find nothing to send again.
    Notification.objects.update(created_at=F("created_at") - dt.timedelta(minutes=3))
    run_beat(app, "sweep-outbox", "sweep-orders")
    wait_for(lambda: len(ran(app, "orders.tasks.sweep_orders")) == 2, what="the second sweeps")
    wait_idle(redis_server)
    assert len(smtp_server.messages) == 2 and len(twilio_server.requests) == 1

    # Down again while the admin resets the password: the outbox's own sweep sends it.
    redis_server.stop()
    credentials.reset_password(
        workplace=Workplace.objects.get(), actor=Actor.for_admin(admin_with_email)
    )
    reset = Notification.objects.get(kind=Notification.Kind.PASSWORD_RESET_SMS)
    assert reset.status == PENDING and reset.attempts == 0
    redis_server.start()
    Notification.objects.filter(pk=reset.pk).update(
        created_at=F("created_at") - dt.timedelta(minutes=3)
    )
    run_beat(app, "sweep-outbox")
    wait_for(lambda: status_becomes(reset, SENT), what="the swept password reset")
    wait_idle(redis_server)
    assert len(twilio_server.created) == 2
    user.refresh_from_db()
    assert user.check_password(sms_password(twilio_server.created[1]["Body"]))
    assert not user.check_password(sms_password(sms["Body"]))
    assert len(smtp_server.messages) == 2


def test_the_same_delivery_enqueued_twice_sends_one_message(
    live_celery, redis_server, smtp_server, start_celery_worker
):
    welcome = queue_welcome()  # enqueued once on commit
    deliver.delay(welcome.pk)  # a second task for the same row
    deliver.apply_async((welcome.pk,), task_id="same-task-id")
    deliver.apply_async((welcome.pk,), task_id="same-task-id")  # the same task twice
    assert redis_server.queued() == 4

    with start_celery_worker():
        sent = wait_for(lambda: status_becomes(welcome, SENT), what="the e-mail sent")
        wait_for(lambda: len(ran(live_celery)) == 4, what="all four deliveries run")
        wait_idle(redis_server)
    assert len(smtp_server.messages) == 1
    assert sent.attempts == 1


def every_logger_at_debug(caplog) -> list[logging.Logger]:
    """DEBUG everywhere, and pytest's handler on loggers that do not pass records up."""
    caplog.set_level(logging.DEBUG)
    silent = []
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if not isinstance(logger, logging.Logger):
            continue
        if logger.level not in (logging.NOTSET, logging.DEBUG):
            caplog.set_level(logging.DEBUG, logger=name)
        if not logger.propagate:
            logger.addHandler(caplog.handler)
            silent.append(logger)
    return silent


def test_the_temporary_password_is_only_in_the_delivered_messages(
    alice_client,
    admin_with_email,
    trunk,
    live_celery,
    redis_server,
    redis_monitor,
    smtp_server,
    twilio_server,
    celery_worker,
    caplog,
):
    import twilio.rest  # noqa: F401 (its loggers exist before the levels are set)

    silent = every_logger_at_debug(caplog)
    try:
        complete_draft(alice_client, trunk)  # password by SMS
        complete_draft(alice_client, trunk, username="erika.muster", mobile="")  # by e-mail
        order = place_order(alice_client, admin_with_email)
        wait_for(lambda: all_settled(order), what="the order processed and its messages")
        wait_idle(redis_server)
    finally:
        for logger in silent:
            logger.removeHandler(caplog.handler)

    # Delivered: the SMS and the separate e-mail carry passwords that log the users in.
    [sms] = twilio_server.created
    by_sms = sms_password(sms["Body"])
    [password_mail] = [m for m in smtp_server.messages if "Passwort" in m["Subject"]]
    by_mail = mail_password(password_mail)
    assert by_sms != by_mail
    users = {w.username: w.user for w in Workplace.objects.select_related("user")}
    assert users["joerg.mueller"].check_password(by_sms)
    assert users["erika.muster"].check_password(by_mail)
    assert order.notifications.filter(status=SENT).count() == 5
    passwords = (by_sms, by_mail)

    # Not in the other e-mails (welcome, the admin's Auftragsinformation).
    assert len(smtp_server.messages) == 4
    for message in smtp_server.messages:
        if message is not password_mail:
            for part in message.walk():
                if not part.is_multipart():
                    assert not any(p in part.get_content() for p in passwords)

    # Not on the broker: neither in what was published nor in anything Redis was told.
    # The order, and its five messages in two tasks (BATCH_SIZE rows a task).
    assert len(live_celery.published.messages) >= 3
    for published in live_celery.published.messages:
        assert not any(p in repr(published) for p in passwords)
    wire = redis_monitor.texts()
    bodies = [text for text in wire if text.startswith("[[") and '"callbacks"' in text]
    assert len(bodies) >= len(live_celery.published.messages)  # each body seen, decoded
    assert not any(p in text for text in wire for p in passwords)

    # Not in any log record, the worker's included (the test SMTP server's own is the
    # receiving end and logs what it receives).
    records = [r for r in caplog.records if not r.name.startswith("mail.log")]
    assert any(r.name == "notifications.services" and "sent" in r.getMessage() for r in records)
    assert any(r.levelno == logging.DEBUG for r in records)
    for record in records:
        text = record.getMessage() + (record.exc_text or "") + repr(record.args)
        assert not any(p in text for p in passwords), (record.name, record.msg)

    # Not in the database in clear: every row of every table, and the users hold hashes.
    for model in apps.get_models():
        for values in model._base_manager.values():
            assert not any(p in repr(values) for p in passwords), model.__name__
    for user in users.values():
        assert identify_hasher(user.password)


def test_an_unexpected_error_is_retried_then_fails_instead_of_staying_in_sending(
    live_celery, redis_server, twilio_server, celery_worker, settings
):
    """The login went before its password went out (deleted with its workplace): the row
    must end up failed and visible, not "sending" for ever and swept every minute."""
    settings.NOTIFICATION_RETRY_MAX_SECONDS = 0.2
    user = end_user()
    with transaction.atomic():
        password_sms = queue_password(user, sms=True)
        user.delete()

    failed = wait_for(lambda: status_becomes(password_sms, FAILED), what="the row failed")
    wait_idle(redis_server)
    assert failed.attempts == deliver.max_retries + 1
    assert "DoesNotExist" in failed.last_error
    assert twilio_server.requests == []


def test_the_sweep_leaves_a_row_in_backoff_to_its_own_retries(
    live_celery, redis_server, smtp_server, celery_worker, settings
):
    """A row waiting for its next retry is not stuck: sweeping it would start a second
    chain of retries beside the first (one more each minute), and defeat the backoff."""
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 0.5
    smtp_server.stop()
    welcome = queue_welcome()
    [original] = {m["headers"]["id"] for m in live_celery.published.of(DELIVER)}
    wait_for(lambda: row(welcome).last_error, what="a first failed attempt")
    Notification.objects.update(created_at=F("created_at") - dt.timedelta(minutes=3))
    run_beat(live_celery, "sweep-outbox")
    wait_for(lambda: ran(live_celery, "notifications.tasks.sweep"), what="the sweep")

    smtp_server.start()
    wait_for(lambda: status_becomes(welcome, SENT), what="the e-mail sent by a retry")
    wait_idle(redis_server)
    assert {m["headers"]["id"] for m in live_celery.published.of(DELIVER)} == {original}
    assert len(smtp_server.messages) == 1
