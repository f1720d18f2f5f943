"""Messages written together go out together: one task and one claim for a batch of rows,
each row still sent once and its result recorded right after its own send."""

from __future__ import annotations

import smtplib

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notifications import services
from notifications.models import Notification
from notifications.sms import LocmemSmsBackend
from notifications.tasks import deliver as deliver_task
from notifications.tasks import deliver_batch
from orders.models import Order
from orders.services import cart_of
from portal import celery
from tests.notifications.test_transient_or_permanent import (
    FAILED,
    REFUSING,
    SENT,
    mailer,
    password_sms_row,
    row,
    welcome_row,
)
from tests.wizard_helpers import complete_draft


@pytest.fixture
def published(monkeypatch) -> list[tuple]:
    """Every task handed to a worker by name (still run, in the process)."""
    calls = []
    enqueue = celery.enqueue

    def recording(task_name: str, *args: object) -> bool:
        calls.append((task_name, *args))
        return enqueue(task_name, *args)

    monkeypatch.setattr(celery, "enqueue", recording)
    return calls


def test_an_orders_messages_go_to_one_task_and_each_is_sent_once(
    alice, alice_client, trunk, published, django_capture_on_commit_callbacks
):
    alice.email = "alice@demo.example"
    alice.save(update_fields=["email"])
    complete_draft(alice_client, trunk)  # password by SMS
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reverse("orders:place"), {"token": cart_of(alice).token})
    order = Order.objects.get()
    ids = list(order.notifications.order_by("pk").values_list("pk", flat=True))
    assert len(ids) == 3  # welcome, password SMS, Auftragsinformation
    assert [call for call in published if call[0] != "orders.tasks.process_order"] == [
        (services.BATCH_TASK, ids)
    ]
    assert order.notifications.filter(status=SENT, attempts=1).count() == 3
    assert sorted(m.subject.split()[0].rstrip(":") for m in mail.outbox) == [
        "Auftragsinformation",
        "Willkommen",
    ]
    assert len(LocmemSmsBackend.outbox) == 1


def test_rows_written_together_are_handed_out_batch_size_a_task(published, db):
    rows = services.queue_many(
        [
            {"kind": "welcome", "channel": "email", "recipient": f"w{i}@example.com"}
            for i in range(7)
        ]
    )
    ids = [row.pk for row in rows]
    services.enqueue_batches(ids)
    size = services.BATCH_SIZE
    assert published == [
        (services.BATCH_TASK, ids[start : start + size]) for start in range(0, 7, size)
    ]
    published.clear()
    services.enqueue_batches(ids[:1])  # one row: its own task, as from queue()
    assert published == [("notifications.tasks.deliver", ids[0])]


def test_a_batch_sends_each_claimable_row_once_and_leaves_out_the_others(db):
    first, second, taken = welcome_row(), password_sms_row(), welcome_row()
    assert services.deliver_many([taken.pk], claim="another-task") == []  # sent by that task
    Notification.objects.filter(pk=taken.pk).update(status="sending", claimed_by="busy-task")
    ids = [first.pk, second.pk, taken.pk]

    assert services.deliver_many(ids, claim="batch") == []
    assert len(mail.outbox) == 2 and len(LocmemSmsBackend.outbox) == 1  # taken: not again
    assert [(row(n).status, row(n).attempts) for n in (first, second)] == [(SENT, 1)] * 2
    assert row(taken).claimed_by == "busy-task"

    # The same batch again (the broker redelivered it): nothing is sent twice.
    assert services.deliver_many(ids, claim="batch") == []
    assert len(mail.outbox) == 2 and len(LocmemSmsBackend.outbox) == 1


def test_a_deferred_row_of_a_batch_retries_as_its_own_task_to_the_limit(settings, db):
    """In the process, the retries follow at once (as for one row a task): the e-mails fail
    after as many attempts as a single delivery has; the SMS of the batch is sent."""
    mailer(settings, REFUSING, error=smtplib.SMTPDataError(451, b"4.3.0 Try again later"))
    welcome, sms = welcome_row(), password_sms_row()
    deliver_batch.apply(args=([welcome.pk, sms.pk],))
    failed = row(welcome)
    assert (failed.status, failed.attempts) == (FAILED, deliver_task.max_retries + 1)
    assert "451" in failed.last_error
    assert (row(sms).status, row(sms).attempts) == (SENT, 1)


def commits_without_waiting(queries) -> int:
    return sum("synchronous_commit" in q["sql"] for q in queries.captured_queries)


@pytest.mark.django_db(transaction=True)
def test_only_the_claim_and_the_password_commit_without_waiting_for_the_disk():
    """On PostgreSQL the claim's and the password's transactions commit asynchronously; the
    result's commit, which makes both durable with it, waits as every other commit does."""
    welcome, sms = welcome_row(), password_sms_row()
    with CaptureQueriesContext(connection) as queries:
        assert services.deliver_many([welcome.pk, sms.pk], claim="batch") == []
    postgres = connection.vendor == "postgresql"
    assert commits_without_waiting(queries) == (2 if postgres else 0)
    sql = [q["sql"] for q in queries.captured_queries]
    claim = next(i for i, text in enumerate(sql) if text.startswith("UPDATE"))
    assert ("synchronous_commit" in sql[claim - 1]) is postgres
    with CaptureQueriesContext(connection) as queries:
        assert services.deliver(welcome_row().pk, claim="single")
    assert commits_without_waiting(queries) == (1 if postgres else 0)


def test_inside_a_callers_transaction_nothing_commits_without_waiting(db):
    with CaptureQueriesContext(connection) as queries:
        assert services.deliver_many([welcome_row().pk, password_sms_row().pk], claim="b") == []
    assert commits_without_waiting(queries) == 0
