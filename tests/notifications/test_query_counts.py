"""What one delivery costs the database: a fixed number of queries per message, the same
whether the customer has no webhook endpoint, one or several (a constant more with any)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notifications import services
from notifications.models import Notification
from orders.models import Order
from orders.services import cart_of
from portal.policy import Actor
from tests.wizard_helpers import complete_draft
from webhooks import services as webhooks
from webhooks.models import WebhookDelivery, WebhookEndpoint

KINDS = ("welcome", "order_confirmation", "password_sms")


@pytest.fixture(autouse=True)
def _loopback_allowed(settings):
    settings.WEBHOOKS_ALLOW_HTTP_LOOPBACK = True


@pytest.fixture
def order(alice, alice_client, trunk, django_capture_on_commit_callbacks) -> Order:
    """An order completed with its messages sent: their rows are the models of new ones."""
    alice.email = "alice@demo.example"
    alice.save(update_fields=["email"])
    complete_draft(alice_client, trunk)
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reverse("orders:place"), {"token": cart_of(alice).token})
    order = Order.objects.get()
    assert set(order.notifications.values_list("kind", flat=True)) >= set(KINDS)
    return order


def again(order: Order, kind: str) -> Notification:
    """A new pending row like the order's message of ``kind``."""
    model = order.notifications.filter(kind=kind).earliest("pk")
    fields = ("channel", "recipient", "context", "user_id", "workplace_id")
    return services.queue(kind=kind, order_id=order.pk, **{f: getattr(model, f) for f in fields})


def queries_of_deliveries(order: Order) -> dict[str, int]:
    counts = {}
    for kind in KINDS:
        notification = again(order, kind)
        with CaptureQueriesContext(connection) as queries:
            assert services.deliver(notification.pk, claim=f"task-{kind}")
        counts[kind] = len(queries)
    return counts


def add_endpoints(alice, n: int) -> None:
    for i in range(n):
        webhooks.create_endpoint(actor=Actor.for_admin(alice), url=f"http://127.0.0.1:9/{i}")


def test_a_delivery_costs_a_fixed_number_of_queries(order):
    # The claim (UPDATE ... RETURNING); in a savepoint here (a transaction in the worker):
    # the result, whether a message of the order is still unsent, the order's time (each
    # of these rows is the last of its order), the webhook check. A password message first
    # sets the password in a savepoint of its own: the user locked, then saved.
    assert queries_of_deliveries(order) == {
        "welcome": 1 + 2 + 4,
        "order_confirmation": 1 + 2 + 4,
        "password_sms": 1 + 2 + 2 + 2 + 4,
    }


def test_a_message_before_the_last_of_its_order_does_not_read_the_order(order):
    first, last = again(order, "welcome"), again(order, "order_confirmation")
    with CaptureQueriesContext(connection) as queries:
        assert services.deliver(first.pk, claim="first")
    assert len(queries) == 1 + 2 + 3
    assert services.deliver(last.pk, claim="last")


def test_webhook_endpoints_add_a_constant_not_a_query_per_endpoint(order, alice):
    without = queries_of_deliveries(order)
    add_endpoints(alice, 1)
    with_one = queries_of_deliveries(order)
    add_endpoints(alice, 2)
    with_three = queries_of_deliveries(order)
    assert with_three == with_one
    # With any endpoint: the message's codes, the endpoints, the insert of their deliveries.
    assert {kind: with_one[kind] - without[kind] for kind in KINDS} == dict.fromkeys(KINDS, 3)
    assert WebhookDelivery.objects.count() == 3 * 1 + 3 * 3


def test_removed_endpoints_and_those_of_an_inactive_admin_cost_nothing(order, alice, bob):
    without = queries_of_deliveries(order)
    add_endpoints(alice, 2)
    add_endpoints(bob, 1)
    bob.is_active = False
    bob.save(update_fields=["is_active"])
    for endpoint in WebhookEndpoint.objects.filter(admin=alice):
        webhooks.remove_endpoint(actor=Actor.for_admin(alice), endpoint=endpoint)
    assert queries_of_deliveries(order) == without
    assert not WebhookDelivery.objects.exists()


def test_a_message_of_no_order_reaches_its_workplaces_customer(order, alice):
    add_endpoints(alice, 1)
    model = order.notifications.filter(kind="password_sms").earliest("pk")
    notification = services.queue(
        kind="password_reset_sms",
        channel=model.channel,
        recipient=model.recipient,
        context=model.context,
        user_id=model.user_id,
        workplace_id=model.workplace_id,
    )
    assert services.deliver(notification.pk, claim="task")
    (delivery,) = WebhookDelivery.objects.all()
    assert delivery.payload["data"]["message"] == str(notification.code)


def test_a_batch_claims_its_rows_with_one_query(order):
    # An order's three messages, sent by one task: one claim (UPDATE ... RETURNING) for all,
    # then each row as above without its own claim; only the last reads the order's time.
    rows = [again(order, kind) for kind in KINDS]
    with CaptureQueriesContext(connection) as queries:
        assert services.deliver_many([row.pk for row in rows], claim="batch") == []
    assert len(queries) == 1 + (2 + 3) + (2 + 3) + (2 + 2 + 2 + 4)
    assert order.notifications.filter(status="sent").count() == 6
