"""Deliveries: signed the Standard Webhooks way, retried under the same id, failed for good
on a refusal, never following a redirect, never carrying the secret into a log."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.utils import timezone

from portal import celery, outbox
from portal.policy import Actor
from tests.webhooks.conftest import expected_signature
from webhooks import delivery, services, tasks
from webhooks.models import WebhookDelivery


@pytest.fixture
def queue_one(endpoint_and_secret, demo_customer, django_capture_on_commit_callbacks):
    """Queue one event for alice's customer and run what its commit hands to a worker."""

    def queue() -> WebhookDelivery:
        with django_capture_on_commit_callbacks(execute=True):
            (row,) = services.queue_event(
                customer_id=demo_customer.pk, event_type="order.status_changed", data={"x": 1}
            )
        row.refresh_from_db()
        return row

    return queue


def test_a_delivery_is_signed_so_that_the_receiver_can_check_it(
    queue_one, receiver, endpoint_and_secret
):
    _endpoint, secret = endpoint_and_secret
    row = queue_one()
    assert row.status == WebhookDelivery.Status.DELIVERED
    (received,) = receiver.received
    assert received.path == "/hooks"
    assert received.headers["content-type"] == "application/json"
    assert received.headers["webhook-id"] == row.event_id
    assert row.event_id.startswith("msg_")
    assert received.headers["webhook-signature"] == expected_signature(secret, received)
    timestamp = int(received.headers["webhook-timestamp"])
    assert abs(timestamp - timezone.now().timestamp()) < 300
    assert received.event == {
        "type": "order.status_changed",
        "timestamp": received.event["timestamp"],
        "data": {"x": 1},
    }
    # Another secret would not verify: the check in the test can fail.
    other = services.new_secret()
    assert received.headers["webhook-signature"] != expected_signature(other, received)


def test_a_server_error_is_retried_under_the_same_id_until_it_is_delivered(
    queue_one, receiver, endpoint_and_secret
):
    _endpoint, secret = endpoint_and_secret
    receiver.answers = [500]
    row = queue_one()
    assert row.status == WebhookDelivery.Status.PENDING
    assert (row.attempts, row.last_status_code, row.last_error) == (1, 500, "HTTP 500")
    assert row.next_attempt_at > timezone.now()
    # The beat's sweep hands the row out once it is due; this time the receiver takes it.
    later = row.next_attempt_at + delivery.PENDING_GRACE + dt.timedelta(seconds=1)
    assert delivery.sweep(now=later) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_status_code) == ("delivered", 2, 200)
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == row.event_id
    assert first.body == second.body
    assert second.headers["webhook-signature"] == expected_signature(secret, second)


@pytest.mark.parametrize("status", [429, 502, 503])
def test_busy_or_unavailable_is_worth_another_try(queue_one, receiver, status):
    receiver.answers = [status]
    row = queue_one()
    assert (row.status, row.last_status_code) == ("pending", status)


@pytest.mark.parametrize("status", [400, 401, 404, 410])
def test_a_refusal_fails_for_good(queue_one, receiver, status):
    receiver.answers = [status]
    row = queue_one()
    assert (row.status, row.attempts, row.last_status_code) == ("failed", 1, status)
    assert delivery.sweep(now=timezone.now() + dt.timedelta(hours=1)) == 0
    assert len(receiver.received) == 1


def test_a_redirect_is_not_followed(queue_one, receiver):
    receiver.answers = [302]
    row = queue_one()
    assert (row.status, row.last_status_code) == ("failed", 302)
    assert [r.path for r in receiver.received] == ["/hooks"]


def test_an_endpoint_that_is_not_there_is_tried_again(alice, demo_customer):
    # The discard port: nobody listens on it here.
    services.create_endpoint(actor=Actor.for_admin(alice), url="http://127.0.0.1:9/hooks")
    (row,) = services.queue_event(customer_id=demo_customer.pk, event_type="t", data={})
    with pytest.raises(outbox.Deferred):
        delivery.deliver(row.pk, claim="test")
    row.refresh_from_db()
    assert (row.status, row.last_status_code) == ("pending", None)
    assert row.last_error == "ConnectionError: connection failed"


def test_after_the_last_attempt_the_delivery_fails(queue_one, receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    receiver.answers = [500, 500, 500]
    row = queue_one()
    assert row.status == "pending"
    tasks.deliver.apply(args=[row.pk])
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_status_code) == ("failed", 2, 500)
    assert len(receiver.received) == 2


def test_a_delivery_to_a_removed_endpoint_is_not_sent(
    alice, queue_one, receiver, endpoint_and_secret
):
    endpoint, _secret = endpoint_and_secret
    receiver.answers = [500]
    row = queue_one()
    services.remove_endpoint(actor=Actor.for_admin(alice), endpoint=endpoint)
    assert not delivery.deliver(row.pk, claim="test")
    row.refresh_from_db()
    assert row.status == "failed"
    assert len(receiver.received) == 1
    endpoint.refresh_from_db()
    assert endpoint.secret == ""


def test_the_secret_is_in_no_log_line_and_no_task_argument(
    queue_one, receiver, endpoint_and_secret, caplog, monkeypatch
):
    _endpoint, secret = endpoint_and_secret
    sent_args = []
    real = celery.enqueue

    def spy(task_name, *args):
        sent_args.append((task_name, args))
        return real(task_name, *args)

    monkeypatch.setattr(celery, "enqueue", spy)
    receiver.answers = [500, 410]
    caplog.set_level(logging.DEBUG)
    row = queue_one()
    delivery.sweep(now=row.next_attempt_at + delivery.PENDING_GRACE + dt.timedelta(seconds=1))
    assert sent_args == [("webhooks.tasks.deliver", (row.pk,))] * 2
    assert caplog.records
    assert secret not in caplog.text
    assert secret[len("whsec_") :] not in caplog.text


def test_an_endpoint_whose_name_leads_into_this_network_gets_nothing(queue_one, receiver, settings):
    # Allowed when it was made (development); in production its name resolves to loopback.
    settings.WEBHOOKS_ALLOW_HTTP_LOOPBACK = False
    row = queue_one()
    assert (row.status, row.last_error) == ("failed", "address not public")
    assert receiver.received == []


def test_a_name_that_does_not_resolve_is_tried_again(alice, demo_customer, settings):
    services.create_endpoint(actor=Actor.for_admin(alice), url="https://hooks.invalid/x")
    (row,) = services.queue_event(customer_id=demo_customer.pk, event_type="t", data={})
    with pytest.raises(outbox.Deferred):
        delivery.deliver(row.pk, claim="test")
    row.refresh_from_db()
    assert (row.status, row.last_error) == ("pending", "gaierror: name not resolved")
