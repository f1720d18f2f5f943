"""The message outbox: rows written with the change, delivered once by a task, swept when stuck.

A delivery claims its row atomically (pending, or its own earlier claim after a worker died),
so a duplicate task sends nothing; a row left behind by a lost publish, a lost retry or a dead
worker is picked up again by ``sweep``. Claim, defer, backoff and sweep are the project's one
outbox (:mod:`portal.outbox`); what counts as transient or permanent, and the password, are
this module's.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import smtplib
import socket
from collections.abc import Iterator
from email.utils import make_msgid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.core.mail.utils import DNS_NAME
from django.db import connection, transaction
from django.utils import timezone

from notifications import mailer, messages, sms
from notifications.models import Notification
from notifications.signals import message_delivery_recorded
from portal import celery, logs, metrics, outbox
from provisioning import services as provisioning
from provisioning.backends import RegistrarError, RegistrarUnavailable
from provisioning.models import RegistrarJob

log = logs.get_logger(__name__)

#: Pending rows this long past due (or, never tried, past their creation) are swept.
PENDING_GRACE = dt.timedelta(minutes=2)

#: Rows written together that one task sends (an order of one workplace: its three messages):
#: one task and one claim for them. Small, so that a batch stays well within the task time
#: limit even when every send waits for its timeout (SMTP_TIMEOUT, TWILIO_TIMEOUT).
BATCH_SIZE = 3
BATCH_TASK = "notifications.tasks.deliver_batch"

OUTBOX = outbox.Outbox(
    Notification,
    pending=Notification.Status.PENDING,
    running=Notification.Status.SENDING,
    task="notifications.tasks.deliver",
    retry_base_setting="NOTIFICATION_RETRY_BASE_SECONDS",
    retry_max_setting="NOTIFICATION_RETRY_MAX_SECONDS",
    grace=PENDING_GRACE,
    log_name="message",
)


def queue(
    *,
    kind: str,
    channel: str,
    recipient: str,
    context: dict,
    language: str = "de",
    user_id: int | None = None,
    workplace_id: int | None = None,
    order_id: int | None = None,
    keeps_current_password: bool = False,
) -> Notification:
    """Write an outbox row in the caller's transaction; it is handed to a worker on commit.

    ``keeps_current_password``: for a password message, the new password waits for its first
    use instead of replacing the current one now ("Passwort vergessen").
    """
    notification = Notification.objects.create(
        kind=kind,
        keeps_current_password=keeps_current_password,
        channel=channel,
        recipient=recipient,
        context=context,
        language=language,
        user_id=user_id,
        workplace_id=workplace_id,
        order_id=order_id,
    )
    transaction.on_commit(lambda: enqueue(notification.pk))
    return notification


def queue_many(rows: list[dict]) -> list[Notification]:
    """:func:`queue` for many messages in one insert (each a dict of its keyword arguments),
    every row handed to a worker on commit."""
    notifications = Notification.objects.bulk_create(Notification(**row) for row in rows)
    ids = [notification.pk for notification in notifications]
    transaction.on_commit(lambda: enqueue_batches(ids))
    return notifications


def enqueue(notification_id: int) -> None:
    """Hand a row to a worker. A broker outage is logged, not raised: the sweep retries."""
    OUTBOX.enqueue(notification_id)


def enqueue_batches(notification_ids: list[int]) -> None:
    """Hand rows written together to workers, :data:`BATCH_SIZE` a task (one row: its own
    task). A broker outage is logged, not raised: the sweep hands the rows out one by one."""
    if len(notification_ids) == 1:
        enqueue(notification_ids[0])
        return
    for start in range(0, len(notification_ids), BATCH_SIZE):
        celery.enqueue(BATCH_TASK, notification_ids[start : start + BATCH_SIZE])


def _set_temporary_password(notification: Notification) -> str:
    """A new temporary password, stored only as a hash.

    It replaces the current password now, or (``keeps_current_password``) waits as the
    pending password until its first use; either way its clock for expiry starts now.

    A password that replaces the current one is written to the SIP registrar first (as its
    digest hashes), under the user's lock and before the hash is saved here: when the
    registrar cannot take it, nothing changes and nothing is sent (the caller retries), so no
    password goes out that would not work on the phones. A pending one reaches the registrar
    only when it is first used (see ``workplaces.myportal.backends``), so asking for a new
    password cannot stop anybody's phones. A login that no longer works (its workplace
    deleted) is not written there, so the registrar does not get it back.
    """
    password = messages.temporary_password()
    with _commit_without_waiting_for_the_disk():
        user = get_user_model().objects.select_for_update().get(pk=notification.user_id)
        if notification.keeps_current_password:
            user.set_pending_password(password)
            fields = user.PENDING_PASSWORD_FIELDS
        else:
            if user.is_active:
                provisioning.set_password(username=user.username, password=password)
            user.set_temporary_password(password)
            fields = user.TEMPORARY_PASSWORD_FIELDS
        user.save(update_fields=fields)
    return password


@contextlib.contextmanager
def _commit_without_waiting_for_the_disk(*, savepoint: bool = True) -> Iterator[None]:
    """A transaction for a claim or a temporary password: on PostgreSQL its commit does not
    wait until the disk has it (``synchronous_commit`` off for it alone).

    Safe for these two because the message's result follows with a commit that does wait,
    and PostgreSQL writes its log in order: once the result is on disk, so are the claim and
    the password before it. Other sessions see the commit at once, so a duplicate task finds
    the row claimed as before; a worker that dies loses nothing (the server commits without
    it). Only a crash of PostgreSQL itself within a fraction of a second can take back a
    claim or a password whose result was not written yet; the message is then sent again,
    as it already was when PostgreSQL failed between a send and its result. Only when the
    claim or password is a transaction of its own: inside a caller's transaction (a message
    sent in-process) nothing changes, so that transaction's commit still waits.
    ``savepoint=False`` for a single statement (the claim): no savepoint around it there.
    """
    alone = not connection.in_atomic_block
    with transaction.atomic(savepoint=savepoint):
        if alone and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        yield


def _send(notification: Notification, rendered: messages.Rendered) -> str:
    if notification.channel == Notification.Channel.SMS:
        return sms.get_backend().send(notification.recipient, rendered.text)
    # Our own Message-ID, so the row can name the e-mail it sent.
    message_id = make_msgid(domain=DNS_NAME)
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient],
        headers={"Message-ID": message_id},
    )
    message.attach_alternative(rendered.html, "text/html")
    mailer.send(message)
    return message_id


def _is_transient_smtp(exc: Exception) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _msg in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    return isinstance(exc, (smtplib.SMTPServerDisconnected, socket.timeout, OSError))


def _record_result(notification: Notification, **fields) -> None:
    """Write the row's final status and tell the layers above (:mod:`notifications.signals`),
    in one transaction: what they write because of it exists exactly when the result does."""
    with transaction.atomic():
        OUTBOX.finish(notification, **fields)
        notification.status = fields["status"]
        _count(notification, fields["status"])
        if notification.status == Notification.Status.SENT and notification.order_id:
            _order_sent(notification)
        message_delivery_recorded.send(sender=Notification, notification=notification)


def _count(notification: Notification, outcome: str) -> None:
    metrics.count_on_commit(
        metrics.MESSAGE_DELIVERIES, channel=notification.channel, outcome=str(outcome)
    )


def _order_sent(notification: Notification) -> None:
    """The last message of an order sent (they are all queued as it completes): its time.

    Asked for every message of an order, so the check is one query written out (the ORM
    took longer to build it than the database to answer it); only the last message reads
    the order's time."""
    with connection.cursor() as cursor:
        cursor.execute(_unsent_sql(), [notification.order_id, Notification.Status.SENT])
        if cursor.fetchone() is not None:
            return
    placed_at = (
        Notification.objects.filter(pk=notification.pk)
        .values_list("order__created_at", flat=True)
        .first()
    )
    if placed_at is not None:
        metrics.observe_on_commit(metrics.ORDER_MESSAGES_SENT_SECONDS, placed_at)


@functools.cache
def _unsent_sql() -> str:
    q, meta = connection.ops.quote_name, Notification._meta
    # Names quoted from the model's metadata; every value is a parameter.
    return (
        f"SELECT 1 FROM {q(meta.db_table)}"  # noqa: S608
        f" WHERE {q(meta.get_field('order').column)} = %s"
        f" AND {q(meta.get_field('status').column)} <> %s LIMIT 1"
    )


def _defer(notification: Notification, error: str) -> outbox.Deferred:
    """Back to pending until the next attempt; the error for the task to retry with."""
    _count(notification, "retry")
    countdown = OUTBOX.defer(notification, error=error)
    log.warning(
        "message_deferred", **_fields(notification), error=error, retry_in_s=round(countdown)
    )
    return outbox.Deferred(error, countdown)


def _fields(notification: Notification) -> dict[str, object]:
    """What a log line says of a message (its id is bound): never its recipient or text."""
    return {
        "kind": notification.kind,
        "channel": notification.channel,
        "attempts": notification.attempts,
    }


def deliver(notification_id: int, *, claim: str) -> bool:
    """Send one row. Returns False when there was nothing to do (sent, failed, or claimed).

    Raises :class:`portal.outbox.Deferred` after putting the row back to pending with the time of its
    next attempt, so the task can retry then. Never logs or returns the password.
    """
    with _commit_without_waiting_for_the_disk(savepoint=False):
        notification = OUTBOX.claim(notification_id, claim)
    if notification is None:
        return False
    return _deliver_claimed(notification)


def deliver_many(notification_ids: list[int], *, claim: str) -> list[tuple[int, outbox.Deferred]]:
    """Send the rows queued together, claimed in one update; the deferred ones, with why.

    Each claimable row is then sent as :func:`deliver` sends it, its result committed right
    after its own send, so a crash can send again only the message of that moment, as with
    one row a task. A row that is done or another task's is left out. A deferred row is back
    to pending with the time of its next attempt; the caller hands it to a retry then.
    """
    deferred = []
    context = logs.snapshot()
    with _commit_without_waiting_for_the_disk(savepoint=False):
        claimed = OUTBOX.claim_many(notification_ids, claim)
    for notification in claimed:
        logs.restore(context)
        logs.bind_row(notification, message_id=notification.pk)
        try:
            _deliver_claimed(notification)
        except outbox.Deferred as exc:
            deferred.append((notification.pk, exc))
    logs.restore(context)
    return deferred


def _deliver_claimed(notification: Notification) -> bool:
    try:
        password = _set_temporary_password(notification) if notification.is_password else ""
        rendered = messages.render(notification, password=password)
        provider_id = _send(notification, rendered)
    except RegistrarUnavailable as exc:
        # The password was not set anywhere and not sent: a later attempt makes a new one.
        raise _defer(notification, str(RegistrarJob.Error(exc.reason).label)) from None
    except RegistrarError as exc:
        error = str(exc)[:500]
        _record_result(notification, status=Notification.Status.FAILED, last_error=error)
        log.warning("message_failed", **_fields(notification), error=error)
        return False
    except sms.TransientSmsError as exc:
        raise _defer(notification, str(exc)[:500]) from None
    except sms.PermanentSmsError as exc:
        _record_result(notification, status=Notification.Status.FAILED, last_error=str(exc)[:500])
        log.warning("message_failed", **_fields(notification), error=str(exc)[:500])
        return False
    except (smtplib.SMTPException, OSError) as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
        if _is_transient_smtp(exc):
            raise _defer(notification, error) from None
        _record_result(notification, status=Notification.Status.FAILED, last_error=error)
        log.warning("message_failed", **_fields(notification), error=error)
        return False
    except Exception as exc:
        # Unforeseen (the login deleted, a bug, a misconfiguration): retried with backoff and
        # then failed like a transient error, so the row does not stay "sending" for ever.
        log.exception("message_error", **_fields(notification))
        raise _defer(notification, f"{type(exc).__name__}: {exc}"[:500]) from None
    _record_result(
        notification,
        status=Notification.Status.SENT,
        sent_at=timezone.now(),
        provider_id=provider_id[:100],
        last_error="",
    )
    log.info("message_sent", **_fields(notification))
    return True


def give_up(notification_id: int, error: str) -> None:
    """After the last retry: the row is failed and shows on the order page."""
    with transaction.atomic():
        failed = Notification.objects.filter(
            pk=notification_id, status=Notification.Status.PENDING
        ).update(status=Notification.Status.FAILED, last_error=error[:500], claimed_by="")
        if failed:
            metrics.count_on_commit(
                metrics.OUTBOX_RESULTS, outbox=OUTBOX.kind, outcome=Notification.Status.FAILED
            )
            notification = Notification.objects.get(pk=notification_id)
            _count(notification, Notification.Status.FAILED)
            log.warning("message_failed", **_fields(notification), error=error, gave_up=True)
            message_delivery_recorded.send(sender=Notification, notification=notification)


def resend(notification: Notification) -> bool:
    """ "Erneut senden": a failed row goes back to the outbox, due now."""
    updated = Notification.objects.filter(
        pk=notification.pk, status=Notification.Status.FAILED
    ).update(
        status=Notification.Status.PENDING,
        last_error="",
        claimed_by="",
        next_attempt_at=timezone.now(),
    )
    if updated:
        transaction.on_commit(lambda: enqueue(notification.pk))
    return bool(updated)


def sweep(*, now: dt.datetime | None = None) -> int:
    """Hand stuck rows to a worker again: lost publishes and retries, broker outages, dead
    workers. A row waiting for its retry is left to it."""
    return OUTBOX.sweep(now=now)
