"""One quota rule: workplaces and drafts in any admin's cart hold a place of the trunk's quota.

Putting a draft into the cart takes a place (refused when none is left), ordering re-checks
with the trunk row locked, and the pages show the same count.
"""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse

from orders.models import Order
from orders.services import cart_of, place_order
from portal.errors import Refusal
from portal.policy import Actor
from tests.orders.test_exactly_once import logged_in, make_admins, run_at_once
from tests.wizard_helpers import complete_draft, login_data, start_draft, step_url
from workplaces.models import SetupDraft
from workplaces.services.quota import trunk_overview

FULL = (
    "Das Kontingent des SIP-Trunks Zentrale Bonn ist ausgeschöpft. Wenden Sie sich an den "
    "Kundenservice, um es zu erweitern."
)


def draft_at_summary(client, trunk, username: str) -> SetupDraft:
    """Steps 2 to 5 saved: the next click is "In den Warenkorb"."""
    draft = start_draft(client, trunk)
    assert (
        client.post(step_url(draft, "benutzeranmeldung"), login_data(username)).status_code == 302
    )
    number = trunk.numbers.free().order_by("e164").first().e164
    assert client.post(step_url(draft, "rufnummer"), {"number": number}).status_code == 302
    assert client.post(step_url(draft, "konferenzpaket"), {"package": "none"}).status_code == 302
    return draft


def test_another_admins_cart_takes_the_last_place_and_the_summary_says_so(
    alice_client, bob_client, trunk
):
    trunk.workplace_quota = 1
    trunk.save()
    alice_draft = draft_at_summary(alice_client, trunk, "anna.schmidt")
    bob_draft = draft_at_summary(bob_client, trunk, "bernd.bauer")
    assert alice_client.post(step_url(alice_draft, "warenkorb")).status_code == HTTPStatus.FOUND

    response = bob_client.post(step_url(bob_draft, "warenkorb"))

    assert response.status_code == HTTPStatus.OK
    assert FULL in response.content.decode()
    bob_draft.refresh_from_db()
    assert bob_draft.status == SetupDraft.Status.OPEN
    [overview] = trunk_overview(trunk.customer)
    assert (overview.in_carts, overview.quota_left) == (1, 0)


def test_ordering_refuses_a_cart_over_a_quota_lowered_since(alice, alice_client, trunk):
    complete_draft(alice_client, trunk, username="anna.schmidt")
    complete_draft(alice_client, trunk, username="bernd.bauer")
    trunk.workplace_quota = 1
    trunk.save()

    with pytest.raises(Refusal, match="reicht nicht für alle Arbeitsplätze"):
        place_order(actor=Actor.for_admin(alice), token=cart_of(alice).token)
    assert not Order.objects.exists()


@pytest.mark.postgres
def test_two_admins_racing_for_the_last_place_give_exactly_one_order(
    transactional_db, demo_customer, trunk
):
    trunk.workplace_quota = 1
    trunk.save()
    admins = make_admins(demo_customer, 2)
    clients = [logged_in(admin) for admin in admins]
    drafts = [draft_at_summary(client, trunk, f"person.{i}") for i, client in enumerate(clients)]

    def add_and_order(admin, client, draft):
        def call():
            client.post(step_url(draft, "warenkorb"))
            return client.post(reverse("orders:place"), {"token": str(cart_of(admin).token)})

        return call

    run_at_once([add_and_order(a, c, d) for a, c, d in zip(admins, clients, drafts, strict=True)])

    assert Order.objects.count() == 1
    assert SetupDraft.objects.filter(status=SetupDraft.Status.IN_CART).count() == 0
    [overview] = trunk_overview(demo_customer)
    assert (overview.workplaces_used, overview.in_carts, overview.quota_left) == (1, 0, 0)
