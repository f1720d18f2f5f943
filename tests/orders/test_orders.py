from __future__ import annotations

import datetime as dt
import re
from unittest import mock

import pytest
from django.urls import reverse

from notifications import services as notification_services
from notifications.models import Notification
from orders import services as order_services
from orders.models import Order
from orders.services import cart_of, place_order, process_order, processing
from portal.policy import Actor
from tests.wizard_helpers import complete_draft
from workplaces.models import Workplace


def _place(client, admin, capture):
    with capture(execute=True):
        return client.post(reverse("orders:place"), {"token": cart_of(admin).token})


def test_the_order_moves_through_its_statuses_with_a_history(
    alice_client, alice, trunk, django_capture_on_commit_callbacks
):
    complete_draft(alice_client, trunk, username="joerg.mueller")
    complete_draft(alice_client, trunk, username="anna.schmidt", package="none")
    _place(alice_client, alice, django_capture_on_commit_callbacks)
    order = Order.objects.get()
    assert [h.status for h in order.history.all()] == ["received", "processing", "completed"]
    assert order.number.endswith(f"{order.pk:06d}")
    workplaces = Workplace.objects.order_by("username")
    assert [w.status for w in workplaces] == ["active", "active"]
    booked = workplaces.get(username="joerg.mueller")
    assert booked.package.code == "konferenz-plus" and booked.package_booked_on is not None
    assert workplaces.get(username="anna.schmidt").package is None
    assert str(order.monthly_net) == "23.70"
    page = alice_client.get(reverse("orders:list")).content.decode()
    assert "Ihre Aufträge" in page and order.number in page


def test_processing_twice_changes_nothing(
    alice_client, alice, trunk, django_capture_on_commit_callbacks
):
    complete_draft(alice_client, trunk)
    _place(alice_client, alice, django_capture_on_commit_callbacks)
    order = Order.objects.get()
    process_order(order.pk)
    assert order.history.count() == 3
    assert Workplace.objects.get().user.username == "joerg.mueller"


def test_the_sweep_hands_over_an_order_left_in_processing(
    alice_client, alice, trunk, time_machine, django_capture_on_commit_callbacks
):
    """A worker died after "In Bearbeitung" (or the registrar's call-back was lost)."""
    complete_draft(alice_client, trunk)
    order = place_order(
        actor=Actor.for_admin(alice), token=cart_of(alice).token
    )  # on_commit not run
    processing._transition(order, Order.Status.PROCESSING)

    assert order_services.sweep_orders() == 0  # not yet: it may still be on its way
    time_machine.move_to(order.created_at + dt.timedelta(minutes=3))
    with django_capture_on_commit_callbacks(execute=True):
        assert order_services.sweep_orders() == 1

    order.refresh_from_db()
    assert order.status == Order.Status.COMPLETED
    assert Workplace.objects.get().status == Workplace.Status.ACTIVE
    assert order_services.sweep_orders() == 0


def test_the_order_page_refreshes_itself_while_in_progress(alice_client, alice, trunk):
    complete_draft(alice_client, trunk)
    order = place_order(
        actor=Actor.for_admin(alice), token=cart_of(alice).token
    )  # on_commit not run: received
    page = alice_client.get(reverse("orders:detail", args=[order.code])).content.decode()
    assert 'hx-trigger="every 2s"' in page and 'http-equiv="refresh"' in page
    assert "Eingegangen" in page


def test_a_failed_activation_marks_the_order_failed(alice_client, alice, trunk):
    complete_draft(alice_client, trunk)
    order = place_order(actor=Actor.for_admin(alice), token=cart_of(alice).token)
    with (
        mock.patch(
            "workplaces.services.lifecycle.activate_workplaces", side_effect=RuntimeError("boom")
        ),
        pytest.raises(RuntimeError),
    ):
        process_order(order.pk)
    order.refresh_from_db()
    assert order.status == "failed"
    assert order.history.last().note


def test_an_order_can_only_be_placed_from_a_full_cart(alice_client, alice, trunk):
    response = alice_client.post(reverse("orders:place"), {"token": cart_of(alice).token})
    assert response["Location"] == reverse("orders:cart")
    assert "Ihr Warenkorb ist leer" in alice_client.get(reverse("orders:cart")).content.decode()
    assert not Order.objects.exists()


def test_a_quota_used_up_meanwhile_stops_the_order(alice_client, alice, trunk):
    complete_draft(alice_client, trunk)
    trunk.workplace_quota = 0
    trunk.save()
    response = alice_client.post(reverse("orders:place"), {"token": cart_of(alice).token})
    assert response["Location"] == reverse("orders:cart")
    assert "Kontingent" in alice_client.get(reverse("orders:cart")).content.decode()
    assert not Order.objects.exists()


def test_quotas_are_shown_as_bars_with_words(alice_client, alice, trunk, demo_customer):
    from tests.conftest import make_trunk

    make_trunk(demo_customer, "Leer", "+49302345678", 100, 199, quota=0)
    complete_draft(alice_client, trunk)
    process_order(place_order(actor=Actor.for_admin(alice), token=cart_of(alice).token).pk)
    page = alice_client.get(reverse("orders:status")).content.decode()
    assert 'aria-label="1 von 25 (4 %)"' in page and 'width="4%"' in page
    assert "1 von 88 (1 %)" in page
    assert "0 von 0 (0 %)" in page


def next_steps(page: str) -> str:
    found = re.search(r'<section class="notice next-steps".*?</section>', page, re.S)
    return found.group(0) if found else ""


def test_the_order_page_says_what_happens_next_while_it_is_still_ahead(
    alice_client, alice, trunk, django_capture_on_commit_callbacks
):
    complete_draft(alice_client, trunk, username="joerg.mueller")
    complete_draft(alice_client, trunk, username="anna.schmidt", mobile="")
    order = place_order(
        actor=Actor.for_admin(alice), token=cart_of(alice).token
    )  # on_commit not run: received
    url = reverse("orders:detail", args=[order.code])
    box = next_steps(alice_client.get(url).content.decode())
    assert "So geht es weiter" in box
    assert "Ihr Auftrag wird bearbeitet." in box
    assert "Die SIP-Trunk Arbeitsplätze werden aktiv" in box
    assert "Begrüßungs-E-Mail mit seinem Benutzernamen" in box
    assert "temporäres Passwort per SMS" in box
    assert "„Authentifizierung ohne Mobilfunknummer“ in einer zweiten E-Mail" in box
    assert "Auftragsinformation per E-Mail" in box
    assert f'<a href="{reverse("orders:list")}">Ihre Aufträge</a>' in box

    # Processed, the messages not yet sent: the done steps are marked.
    process_order(order.pk)  # its on_commit deliveries are not run
    assert Notification.objects.filter(status="pending").count() == 4
    box = next_steps(alice_client.get(url).content.decode())
    assert "Ihr Auftrag ist bearbeitet." in box and "Arbeitsplätze sind aktiv." in box

    # Everything sent: nothing is ahead any more, the box is gone.
    for notification in Notification.objects.all():
        with django_capture_on_commit_callbacks(execute=True):
            notification_services.deliver(notification.pk, claim="test")
    assert not Notification.objects.exclude(status="sent").exists()
    assert next_steps(alice_client.get(url).content.decode()) == ""


def test_a_failed_order_promises_nothing(alice_client, alice, trunk):
    complete_draft(alice_client, trunk)
    order = place_order(actor=Actor.for_admin(alice), token=cart_of(alice).token)
    Order.objects.filter(pk=order.pk).update(status=Order.Status.FAILED)
    page = alice_client.get(reverse("orders:detail", args=[order.code])).content.decode()
    assert "So geht es weiter" not in page


def test_the_message_table_names_the_person_each_message_is_for(
    alice_client, alice, trunk, django_capture_on_commit_callbacks
):
    alice.first_name, alice.last_name, alice.email = "Alice", "Admin", "alice@example.com"
    alice.save()
    complete_draft(alice_client, trunk, username="joerg.mueller")
    complete_draft(alice_client, trunk, username="anna.schmidt", mobile="")
    _place(alice_client, alice, django_capture_on_commit_callbacks)
    order = Order.objects.get()
    page = alice_client.get(reverse("orders:detail", args=[order.code])).content.decode()
    table = page.split("<h2>Nachrichten</h2>")[1]
    assert '<th scope="col">Für</th>' in table
    rows = re.findall(r"<tr><td[^>]*>(.*?)</td><td[^>]*>(.*?)</td>", table, re.S)
    people = {(kind, re.sub(r"<[^>]+>", "", person)) for kind, person in rows}
    assert people == {
        ("Begrüßungs-E-Mail", "Jörg Müller (joerg.mueller)"),
        ("Passwort per SMS", "Jörg Müller (joerg.mueller)"),
        ("Begrüßungs-E-Mail", "Jörg Müller (anna.schmidt)"),
        ("Passwort per E-Mail", "Jörg Müller (anna.schmidt)"),
        ("Auftragsinformation", "Alice Admin (Auftraggeber)"),
    }
