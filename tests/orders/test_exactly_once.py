"""Exactly once under concurrency: one number per draft, one order per cart submission.

The threaded tests line real requests up behind a barrier, each thread with its own test
client and its own database connection, so the row locks of PostgreSQL decide who wins.
SQLite serialises writers on the whole file and proves nothing here, hence ``postgres``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http import HTTPStatus

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from orders.models import Order, OrderItem
from orders.services import cart_of
from portal.models import User
from tests.wizard_helpers import complete_draft, login_data, start_draft, step_url
from trunks.models import Number
from workplaces.models import SetupDraft, Workplace

THREADS = 8


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def make_admins(customer, count: int) -> list[User]:
    return [
        User.objects.create_user(
            username=f"admin{i}", password="Secret-Pass-1", customer=customer, first_name="Admin"
        )
        for i in range(count)
    ]


def run_at_once[T](calls: list[Callable[[], T]]) -> list[T]:
    """Run each call in its own thread, released together by a barrier; re-raise failures.

    A view that raises (a 500 for a browser) reaches the test client as an exception, which
    is collected here and fails the test. Each thread closes its database connection, so no
    lock or session outlives the test.
    """
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)
    failures: list[BaseException] = []

    def work(index: int, call: Callable[[], T]) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = call()
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a request hung (deadlock?)"
    if failures:
        raise failures[0]
    return results


def draft_at_number_step(client: Client, trunk, username: str) -> SetupDraft:
    """A draft with steps 2 and 3 saved: the next page is "Rufnummer zuweisen"."""
    draft = start_draft(client, trunk)
    response = client.post(step_url(draft, "benutzeranmeldung"), login_data(username))
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:2000]
    return draft


@pytest.mark.postgres
def test_many_drafts_reaching_for_one_number_exactly_one_gets_it(
    transactional_db, demo_customer, trunk
):
    admins = make_admins(demo_customer, THREADS)
    clients = [logged_in(admin) for admin in admins]
    drafts = [
        draft_at_number_step(client, trunk, f"user.number{i}") for i, client in enumerate(clients)
    ]
    number = trunk.numbers.order_by("e164").first()

    def choose(client: Client, draft: SetupDraft):
        return lambda: client.post(step_url(draft, "rufnummer"), {"number": number.e164})

    responses = run_at_once([choose(c, d) for c, d in zip(clients, drafts, strict=True)])

    winners = [i for i, r in enumerate(responses) if r.status_code == HTTPStatus.FOUND]
    assert len(winners) == 1, [r.status_code for r in responses]
    assert responses[winners[0]]["Location"] == step_url(drafts[winners[0]], "konferenzpaket")
    taken = f"Die Rufnummer {number.national} ist bereits vergeben. Bitte wählen Sie eine andere."
    for i, response in enumerate(responses):
        if i != winners[0]:
            assert response.status_code == HTTPStatus.OK
            assert taken in response.content.decode()
    holders = SetupDraft.objects.filter(number=number)
    assert list(holders.values_list("pk", flat=True)) == [drafts[winners[0]].pk]
    assert SetupDraft.objects.filter(number__isnull=False).count() == 1


def cart_with_two_drafts(client: Client, trunk) -> None:
    complete_draft(client, trunk, username="erste.person", package="konferenz-plus")
    complete_draft(client, trunk, username="zweite.person", package="none")


@pytest.mark.postgres
def test_a_burst_of_identical_order_posts_creates_one_order(transactional_db, alice, trunk):
    cart_with_two_drafts(logged_in(alice), trunk)
    token = cart_of(alice).token
    # Double click, replay, two tabs: separate sessions of the same admin, the same token.
    clients = [logged_in(alice) for _ in range(THREADS)]

    def place(client: Client):
        return lambda: client.post(reverse("orders:place"), {"token": str(token)})

    responses = run_at_once([place(client) for client in clients])

    order = Order.objects.get()
    expected = reverse("orders:detail", args=[order.code])
    assert [r.status_code for r in responses] == [HTTPStatus.FOUND] * THREADS
    assert {r["Location"] for r in responses} == {expected}
    assert order.submission == token
    assert OrderItem.objects.filter(order=order).count() == 2
    assert Workplace.objects.count() == 2
    assert set(Workplace.objects.values_list("status", flat=True)) == {"active"}
    assert SetupDraft.objects.filter(status="ordered").count() == 2
    order.refresh_from_db()
    assert order.status == Order.Status.COMPLETED
    assert cart_of(alice).token != token
    # Every tab lands on the same order page.
    assert "Abgeschlossen" in clients[-1].get(expected).content.decode()


@pytest.fixture
def reservation_constraint_dropped(transactional_db):
    """Let two drafts hold one number, as if the reservation had been raced past.

    The unique constraint is put back after the test; the test must leave at most one
    holder per number (see ``finally`` there).
    """
    constraint = next(
        c for c in SetupDraft._meta.constraints if c.name == "workplaces_number_reserved_once"
    )
    with connection.schema_editor() as editor:
        editor.remove_constraint(SetupDraft, constraint)
    yield
    with connection.schema_editor() as editor:
        editor.add_constraint(SetupDraft, constraint)


@pytest.mark.postgres
def test_two_carts_holding_one_number_order_at_once_one_wins(
    transactional_db, reservation_constraint_dropped, alice, bob, trunk
):
    alice_client, bob_client = logged_in(alice), logged_in(bob)
    free = list(trunk.numbers.order_by("e164")[:2])
    number = free[0]
    alice_draft = complete_draft(alice_client, trunk, username="anna.alpha", number=free[0].e164)
    bob_draft = complete_draft(bob_client, trunk, username="bert.beta", number=free[1].e164)
    # The race the reservation should have prevented: both carts now hold the same number.
    SetupDraft.objects.filter(pk=bob_draft.pk).update(number=number)
    assert SetupDraft.objects.filter(number=number, status="in_cart").count() == 2
    tokens = {alice.pk: cart_of(alice).token, bob.pk: cart_of(bob).token}
    try:

        def place(client: Client, admin: User):
            return lambda: client.post(reverse("orders:place"), {"token": str(tokens[admin.pk])})

        responses = run_at_once([place(alice_client, alice), place(bob_client, bob)])

        order = Order.objects.get()
        winner, loser = (0, 1) if order.placed_by_id == alice.pk else (1, 0)
        clients = [alice_client, bob_client]
        drafts = [alice_draft, bob_draft]
        assert responses[winner]["Location"] == reverse("orders:detail", args=[order.code])
        assert responses[loser].status_code == HTTPStatus.FOUND
        assert responses[loser]["Location"] == reverse("orders:cart")
        cart_page = clients[loser].get(reverse("orders:cart")).content.decode()
        assert f"Die Rufnummer {number.national} ist bereits vergeben." in cart_page

        # The number went to one workplace only; the losing draft is still in its cart.
        assert Workplace.objects.filter(number=number).count() == 1
        assert Workplace.objects.get().created_by_id == order.placed_by_id
        assert Workplace.objects.count() == 1
        drafts[loser].refresh_from_db()
        assert drafts[loser].status == SetupDraft.Status.IN_CART
        assert Number.objects.free().filter(pk=number.pk).count() == 0
    finally:
        # At most one holder per number, so the constraint can be put back.
        SetupDraft.objects.filter(pk=bob_draft.pk).update(number=None)


def test_replaying_the_order_post_returns_the_same_order(alice_client, alice, trunk):
    complete_draft(alice_client, trunk)
    token = cart_of(alice).token
    url = reverse("orders:place")

    first = alice_client.post(url, {"token": str(token)})
    order = Order.objects.get()
    assert first["Location"] == reverse("orders:detail", args=[order.code])

    # Replays (back button, reload, a second tab) get the very same order.
    for _ in range(3):
        replay = alice_client.post(url, {"token": str(token)})
        assert replay.status_code == HTTPStatus.FOUND
        assert replay["Location"] == first["Location"]
    assert Order.objects.count() == 1
    assert Workplace.objects.count() == 1

    # A new item in the cart is not ordered by a replay of the old submission.
    complete_draft(alice_client, trunk, username="neue.person")
    replay = alice_client.post(url, {"token": str(token)})
    assert replay["Location"] == first["Location"]
    assert Order.objects.count() == 1
    assert SetupDraft.objects.filter(status="in_cart").count() == 1


def test_another_admin_cannot_replay_someone_elses_submission(
    alice_client, alice, bob_client, trunk
):
    complete_draft(alice_client, trunk)
    token = cart_of(alice).token
    alice_client.post(reverse("orders:place"), {"token": str(token)})

    response = bob_client.post(reverse("orders:place"), {"token": str(token)}, follow=True)
    assert response.redirect_chain == [(reverse("orders:cart"), HTTPStatus.FOUND)]
    assert "Der Warenkorb hat sich geändert" in response.content.decode()
    assert Order.objects.count() == 1
