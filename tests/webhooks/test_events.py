"""Events: an order's status changes and its messages' results reach every active endpoint of
the customer, signed, written with the change; none carries a password."""

from __future__ import annotations

import json
import re
import uuid

from django.db import transaction
from django.urls import reverse

from notifications.models import Notification
from notifications.sms import LocmemSmsBackend, PermanentSmsError
from orders.models import Order
from orders.services import cart_of
from orders.services.processing import _transition
from portal.policy import Actor
from tests.webhooks.conftest import expected_signature
from tests.wizard_helpers import complete_draft
from webhooks import services
from webhooks.models import WebhookDelivery
from workplaces.models import Workplace


class RefusingSmsBackend(LocmemSmsBackend):
    def send(self, to: str, body: str) -> str:
        raise PermanentSmsError("invalid number", 21211)


def place(client, admin, capture) -> Order:
    with capture(execute=True):
        client.post(reverse("orders:place"), {"token": cart_of(admin).token})
    return Order.objects.get()


def test_an_order_and_its_messages_reach_the_endpoint_and_no_password_does(
    alice_client, alice, trunk, receiver, endpoint_and_secret, django_capture_on_commit_callbacks
):
    _endpoint, secret = endpoint_and_secret
    alice.email = "alice@demo.example"
    alice.save(update_fields=["email"])
    complete_draft(alice_client, trunk)
    order = place(alice_client, alice, django_capture_on_commit_callbacks)
    assert order.status == "completed"

    changes = [e["data"] for e in receiver.events("order.status_changed")]
    assert [(c["old_status"], c["new_status"]) for c in changes] == [
        (None, "received"),
        ("received", "processing"),
        ("processing", "completed"),
    ]
    assert {(c["order"], c["number"]) for c in changes} == {(str(order.code), order.number)}

    workplace = Workplace.objects.get()
    messages = {e["data"]["kind"]: e["data"] for e in receiver.events("message.delivered")}
    assert set(messages) == {"welcome", "password_sms", "order_confirmation"}
    assert messages["password_sms"] == {
        "message": str(Notification.objects.get(kind="password_sms").code),
        "kind": "password_sms",
        "channel": "sms",
        "status": "sent",
        "workplace": str(workplace.code),
        "order": str(order.code),
    }
    assert not receiver.events("message.failed")

    for received in receiver.received:
        assert received.headers["webhook-signature"] == expected_signature(secret, received)
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 6
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}

    # The temporary password went out by SMS; no event, sent or stored, carries it.
    password = re.search(r"lautet (\S+) ", LocmemSmsBackend.outbox[0]["body"]).group(1)
    assert workplace.user.check_password(password)
    stored = [str(p) for p in WebhookDelivery.objects.values_list("payload", flat=True)]
    for text in [r.body for r in receiver.received] + stored:
        assert password not in text
        assert "joerg@example.com" not in text and "+491701234567" not in text


def test_a_message_that_fails_for_good_is_an_event(
    alice_client,
    alice,
    trunk,
    receiver,
    endpoint_and_secret,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.SMS_BACKEND = f"{__name__}.RefusingSmsBackend"
    complete_draft(alice_client, trunk)
    order = place(alice_client, alice, django_capture_on_commit_callbacks)
    (failed,) = receiver.events("message.failed")
    assert failed["data"]["kind"] == "password_sms"
    assert failed["data"]["status"] == "failed"
    assert failed["data"]["order"] == str(order.code)


def test_every_active_endpoint_of_the_customer_gets_the_event_and_no_one_else(
    alice, bob, charlie, demo_customer, receiver, django_capture_on_commit_callbacks
):
    services.create_endpoint(actor=Actor.for_admin(alice), url=receiver.url + "/a")
    services.create_endpoint(actor=Actor.for_admin(bob), url=receiver.url + "/b")
    gone, _s = services.create_endpoint(actor=Actor.for_admin(bob), url=receiver.url + "/c")
    services.remove_endpoint(actor=Actor.for_admin(bob), endpoint=gone)
    services.create_endpoint(actor=Actor.for_admin(charlie), url=receiver.url + "/charlie")
    with django_capture_on_commit_callbacks(execute=True):
        services.queue_event(customer_id=demo_customer.pk, event_type="t", data={})
    assert sorted(r.path for r in receiver.received) == ["/hooks/a", "/hooks/b"]
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1


def test_no_event_is_left_when_the_change_is_rolled_back(alice, endpoint_and_secret):
    order = Order.objects.create(
        customer=alice.customer, placed_by=alice, submission=uuid.uuid4(), monthly_net=0
    )
    try:
        with transaction.atomic():
            _transition(order, Order.Status.PROCESSING)
            assert WebhookDelivery.objects.count() == 1
            raise RuntimeError("the change fails")
    except RuntimeError:
        pass
    assert not WebhookDelivery.objects.exists()


def test_the_endpoint_of_a_trunk_limited_admin_hears_only_of_their_trunks(
    alice, demo_customer, trunk, packages, receiver, django_capture_on_commit_callbacks
):
    """An endpoint acts with its admin's rights, as a key does: Berlin's branch admin must not
    learn of the head office's orders and messages through it."""
    from tests.conftest import make_trunk
    from tests.portal.test_roles import make_admin
    from tests.services.helpers import active_workplace

    berlin = make_trunk(demo_customer, "Niederlassung Berlin", "+4930123456", 10, 99)
    branch = make_admin("berlin.admin", demo_customer, trunks=[berlin])
    services.create_endpoint(actor=Actor.for_admin(alice), url=receiver.url + "/zentrale")
    services.create_endpoint(actor=Actor.for_admin(branch), url=receiver.url + "/berlin")

    with django_capture_on_commit_callbacks(execute=True):
        active_workplace(alice, trunk, username="in.bonn")
    bonn_paths = {r.path for r in receiver.received}
    receiver.received.clear()
    with django_capture_on_commit_callbacks(execute=True):
        active_workplace(alice, berlin, username="in.berlin")

    assert bonn_paths == {"/hooks/zentrale"}
    assert {r.path for r in receiver.received} == {"/hooks/zentrale", "/hooks/berlin"}


def test_a_message_of_no_order_reaches_the_endpoint_of_its_workplaces_trunk_admin(
    alice, demo_customer, trunk, packages, receiver, django_capture_on_commit_callbacks
):
    """A new password for a Berlin workplace (no order behind it) is Berlin's news too."""
    from tests.conftest import make_trunk
    from tests.portal.test_roles import make_admin
    from tests.services.helpers import active_workplace
    from workplaces.services.credentials import reset_password

    berlin = make_trunk(demo_customer, "Niederlassung Berlin", "+4930123456", 10, 99)
    branch = make_admin("berlin.admin", demo_customer, trunks=[berlin])
    in_bonn = active_workplace(alice, trunk, username="in.bonn")
    in_berlin = active_workplace(alice, berlin, username="in.berlin")
    services.create_endpoint(actor=Actor.for_admin(branch), url=receiver.url + "/berlin")

    for workplace in (in_bonn, in_berlin):
        with django_capture_on_commit_callbacks(execute=True):
            reset_password(workplace=workplace, actor=Actor.for_admin(alice))

    events = [json.loads(r.body) for r in receiver.received]
    assert [(e["type"], e["data"]["workplace"], e["data"]["order"]) for e in events] == [
        ("message.delivered", str(in_berlin.code), None)
    ]
