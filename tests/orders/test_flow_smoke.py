from __future__ import annotations

import re

from django.urls import reverse

from notifications.sms import LocmemSmsBackend
from orders.models import Order
from orders.services import cart_of
from tests.wizard_helpers import complete_draft
from workplaces.models import Workplace


def test_a_workplace_is_set_up_ordered_and_activated(
    alice_client, alice, trunk, django_capture_on_commit_callbacks
):
    draft = complete_draft(alice_client, trunk)
    assert draft.status == "in_cart"
    cart_page = alice_client.get(reverse("orders:cart"))
    assert "Kostenpflichtig bestellen" in cart_page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(reverse("orders:place"), {"token": cart_of(alice).token})
    order = Order.objects.get()
    assert response["Location"] == reverse("orders:detail", args=[order.code])
    assert order.status == "completed"
    workplace = Workplace.objects.get()
    assert workplace.status == "active"
    sms = LocmemSmsBackend.outbox
    assert [m["to"] for m in sms] == ["+491701234567"]
    password = re.search(r"lautet (\S+) ", sms[0]["body"]).group(1)
    assert workplace.user.check_password(password)
    page = alice_client.get(response["Location"]).content.decode()
    assert "Abgeschlossen" in page
