"""Following an order in the logs: the request's id and the order's code on the lines of the
request, of the tasks it causes (in-process here, as without Redis), and of its outbox rows
whenever they are processed."""

from __future__ import annotations

import pytest
import structlog
from django.urls import reverse

from notifications import services as notifications
from notifications.models import Notification
from orders.models import Order
from orders.services import cart_of
from portal import logs
from portal.policy import Actor
from provisioning import services as provisioning
from provisioning.models import RegistrarJob
from tests.log_capture import log_lines  # noqa: F401 - fixture
from tests.webhooks.conftest import receiver  # noqa: F401 - fixture
from tests.wizard_helpers import complete_draft
from webhooks import services as webhooks
from webhooks.models import WebhookDelivery
from workplaces.models import Workplace

FOLLOWED = {
    "order_placed",
    "order_processing",
    "order_completed",
    "message_sent",
    "webhook_delivered",
    "request_finished",
}


@pytest.fixture
def ordering(alice, alice_client, trunk, receiver, settings):  # noqa: F811
    """Alice (with an e-mail and a webhook endpoint) orders one workplace through the wizard
    and the cart; with real commits, its tasks run in the request, as without Redis."""
    settings.WEBHOOKS_ALLOW_HTTP_LOOPBACK = True
    alice.email = "alice@demo-gmbh.de"
    alice.save()
    webhooks.create_endpoint(actor=Actor.for_admin(alice), url=receiver.url)

    def order():
        complete_draft(alice_client, trunk)
        response = alice_client.post(reverse("orders:place"), {"token": cart_of(alice).token})
        assert response.status_code == 302
        return response, Order.objects.latest("pk")

    return order


def test_the_request_id_and_order_code_are_on_the_lines_of_the_order_and_its_tasks(
    transactional_db,
    ordering,
    log_lines,  # noqa: F811
):
    response, order = ordering()

    assert order.status == Order.Status.COMPLETED
    request_id = response["X-Request-ID"]
    lines = [line for line in log_lines.lines() if line.get("request_id") == request_id]
    events = [line["event"] for line in lines]
    assert set(events) >= FOLLOWED
    assert events.count("message_sent") == 3  # welcome, password SMS, Auftragsinformation
    about_the_order = lines[events.index("order_placed") :]
    assert {line.get("order_code") for line in about_the_order} == {str(order.code)}
    # The in-process tasks' lines name their task too; the request's own do not.
    completed = log_lines.events("order_completed")[0]
    assert completed["task_id"] and completed["order_number"] == order.number
    placed = log_lines.events("order_placed")[0]
    assert "task_id" not in placed and placed["new_workplaces"] == 1
    sent = log_lines.events("message_sent")
    assert {line["kind"] for line in sent} == {"welcome", "password_sms", "order_confirmation"}
    assert all(line["message_id"] and line["user_id"] == order.placed_by_id for line in sent)
    # The context ends with the request.
    assert structlog.contextvars.get_contextvars() == {}


def test_the_outbox_rows_keep_the_request_id_and_order_code(transactional_db, ordering):
    response, order = ordering()

    kept = {"request_id": response["X-Request-ID"], "order_code": str(order.code)}
    workplace = Workplace.objects.get(username="joerg.mueller")
    rows = [
        *Notification.objects.filter(order=order),
        *RegistrarJob.objects.filter(username=workplace.username),
        *WebhookDelivery.objects.all(),
    ]
    assert len(rows) >= 5
    for row in rows:
        assert {"request_id": row.request_id, "order_code": row.order_code} == kept, row


def test_a_row_written_outside_a_request_keeps_nothing(db):
    job = provisioning.queue_ensure(username="ohne.anfrage", e164=None)
    assert (job.request_id, job.order_code) == ("", "")


@pytest.fixture
def registrar_down(settings):
    """A registrar is connected, and its database refuses every connection."""
    settings.PROVISIONING_BACKEND = "kamailio"
    settings.KAMAILIO_DATABASE_URL = "postgres://unused@127.0.0.1:1/unused"
    settings.SIP_DOMAIN = "sip.example.com"
    settings.KAMAILIO_TIMEOUT = 1


def test_a_registrar_job_run_later_binds_the_request_and_order_that_wrote_it(
    db,
    registrar_down,
    log_lines,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    logs.bind(request_id="req-web-1", order_code="ord-1", user_id=7)
    with django_capture_on_commit_callbacks(execute=False):  # its task is lost
        job = provisioning.queue_ensure(username="spaeter.dran", e164=None)
    structlog.contextvars.clear_contextvars()

    # The beat's sweep, later and elsewhere: a context without any request.
    provisioning.sweep(now=job.created_at + provisioning.RETRY_GRACE * 2)

    [deferred] = log_lines.events("registrar_job_deferred")
    assert {
        "request_id": "req-web-1",
        "order_code": "ord-1",
        "registrar_job_id": job.pk,
    }.items() <= (deferred.items())
    assert deferred["reason"] == RegistrarJob.Error.UNREACHABLE and "user_id" not in deferred
    assert structlog.contextvars.get_contextvars() == {}  # the task's binding ended with it


def test_a_message_sent_later_binds_the_request_and_order_that_wrote_it(
    db,
    log_lines,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    logs.bind(request_id="req-web-2", order_code="ord-2")
    with django_capture_on_commit_callbacks(execute=False):  # its task is lost
        row = notifications.queue(
            kind=Notification.Kind.WELCOME,
            channel=Notification.Channel.EMAIL,
            recipient="joerg@example.com",
            context={},
        )
    logs.restore({"request_id": "req-sweep"})

    notifications.sweep(now=row.created_at + notifications.PENDING_GRACE * 2)

    [sent] = log_lines.events("message_sent")
    expected = {"request_id": "req-web-2", "order_code": "ord-2", "message_id": row.pk}
    assert expected.items() <= sent.items()
    assert (sent["kind"], sent["channel"], sent["attempts"]) == ("welcome", "email", 1)
    assert structlog.contextvars.get_contextvars() == {"request_id": "req-sweep"}
