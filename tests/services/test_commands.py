"""Every command a front door calls, called directly: with the admin it belongs to, with a
foreign customer's admin (not found), and refused by each rule, with its code."""

from __future__ import annotations

import pytest
import time_machine

from orders import services as orders
from orders.models import CartChange, Order
from portal.errors import Refusal
from portal.policy import Actor
from tests.listimport.helpers import csv_bytes
from tests.listimport.test_check import HEADER, person
from tests.manage_helpers import day
from tests.services.helpers import USER_DATA, active_workplace, draft_in_cart
from workplaces.listimport import service as listimport
from workplaces.models import ImportRun, SetupDraft, Workplace
from workplaces.services import credentials, lifecycle, setup


def refused(code: str, command, **kwargs) -> Refusal:
    with pytest.raises(Refusal) as caught:
        command(**kwargs)
    assert caught.value.code == code, caught.value.problems
    return caught.value


@pytest.fixture
def ally(alice):
    return Actor.for_admin(alice)


@pytest.fixture
def foreign(charlie):
    return Actor.for_admin(charlie)


@pytest.fixture
def joerg(alice, trunk, packages):
    with time_machine.travel(day(0)):
        return active_workplace(
            alice, trunk, username="joerg.mueller", package=packages["konferenz-premium"]
        )


# --- put into the cart, place the order ---------------------------------------------------


def test_put_in_cart(alice, ally, foreign, trunk):
    draft = setup.start_draft(actor=Actor.for_admin(alice), trunk=trunk, user_data=USER_DATA)
    setup.reserve_username(
        actor=Actor.for_admin(draft.created_by),
        draft=draft,
        username="anna.schmidt",
        contacts={"auth_email": "a@example.com"},
    )
    setup.reserve_number(
        actor=Actor.for_admin(draft.created_by),
        draft=draft,
        number=setup.next_free_number(trunk=trunk),
    )
    setup.choose_package(actor=Actor.for_admin(draft.created_by), draft=draft, package=None)
    refused("not_found", setup.add_to_cart, draft=draft, actor=foreign)
    setup.add_to_cart(draft=draft, actor=ally)
    assert SetupDraft.objects.get(pk=draft.pk).status == SetupDraft.Status.IN_CART


def test_put_in_cart_refuses_an_incomplete_draft_and_a_full_trunk(alice, bob, ally, trunk):
    draft = setup.start_draft(actor=Actor.for_admin(alice), trunk=trunk, user_data=USER_DATA)
    assert refused("draft_incomplete", setup.add_to_cart, draft=draft, actor=ally).params == {
        "step": "login"
    }
    full = setup.start_draft(actor=Actor.for_admin(alice), trunk=trunk, user_data=USER_DATA)
    setup.reserve_username(
        actor=Actor.for_admin(full.created_by),
        draft=full,
        username="anna.schmidt",
        contacts={"auth_email": "a@x.de"},
    )
    setup.reserve_number(
        actor=Actor.for_admin(full.created_by),
        draft=full,
        number=setup.next_free_number(trunk=trunk),
    )
    setup.choose_package(actor=Actor.for_admin(full.created_by), draft=full, package=None)
    trunk.workplace_quota = 1
    trunk.save(update_fields=["workplace_quota"])
    draft_in_cart(bob, trunk, username="bernd.bauer")  # the last place goes to bob
    refused("quota_exhausted", setup.add_to_cart, draft=full, actor=ally)


def test_place_order(alice, ally, foreign, trunk):
    draft_in_cart(alice, trunk, username="anna.schmidt")
    token = orders.cart_of(alice).token
    # The foreign admin's own cart is empty: nothing of alice's is reachable through it.
    refused("cart_changed", orders.place_order, actor=foreign, token=token)
    order = orders.place_order(actor=ally, token=token)
    assert (order.customer_id, order.placed_by) == (alice.customer_id, alice)
    assert orders.place_order(actor=ally, token=token) == order  # once per cart token
    refused("cart_empty", orders.place_order, actor=ally, token=orders.cart_of(alice).token)


def test_place_order_refuses_a_draft_the_actor_may_no_longer_change(alice, trunk, packages):
    from tests.conftest import make_trunk

    other = make_trunk(trunk.customer, "Filiale Köln", "+4922112345", 10, 99)
    draft_in_cart(alice, other, username="anna.schmidt")
    limited = Actor(
        user=alice, customer_id=alice.customer_id, label="alice", trunk_ids=frozenset({trunk.pk})
    )
    refused("not_found", orders.place_order, actor=limited, token=orders.cart_of(alice).token)
    assert not Order.objects.exists()


# --- edit, reset ---------------------------------------------------------------------------


def edit_values(workplace: Workplace, **changes) -> dict:
    values = {name: getattr(workplace, name) for name in setup.USER_DATA_FIELDS}
    values.update(
        auth_email=workplace.auth_email, mobile=workplace.mobile, without_mobile=True, **changes
    )
    return values


def test_edit(ally, foreign, joerg):
    data = edit_values(joerg, street="Am Hof")
    refused("not_found", lifecycle.update_workplace, workplace=joerg, data=data, actor=foreign)
    assert lifecycle.update_workplace(workplace=joerg, data=data, actor=ally) == ["street"]
    problem = refused(
        "postcode",
        lifecycle.update_workplace,
        workplace=joerg,
        data=edit_values(joerg, postcode="5311"),
        actor=ally,
    ).problems[0]
    assert problem.field == "postcode"


def test_edit_only_while_in_service(ally, joerg):
    Workplace.objects.filter(pk=joerg.pk).update(status=Workplace.Status.CANCEL_SCHEDULED)
    data = edit_values(joerg, street="Am Hof")
    assert lifecycle.update_workplace(workplace=joerg, data=data, actor=ally) == ["street"]
    Workplace.objects.filter(pk=joerg.pk).update(status=Workplace.Status.DELETED)
    refused("not_in_service", lifecycle.update_workplace, workplace=joerg, data=data, actor=ally)


def test_reset(ally, foreign, joerg):
    refused("not_found", credentials.reset_password, workplace=joerg, actor=foreign)
    credentials.reset_password(workplace=joerg, actor=ally)
    Workplace.objects.filter(pk=joerg.pk).update(user=None)
    refused("no_login", credentials.reset_password, workplace=joerg, actor=ally)
    Workplace.objects.filter(pk=joerg.pk).update(status=Workplace.Status.DELETED)
    refused("not_in_service", credentials.reset_password, workplace=joerg, actor=ally)


# --- package change, deletion, withdrawing a cancellation ----------------------------------


def test_package_change(ally, foreign, joerg, packages):
    basic, plus = packages["konferenz-basic"], packages["konferenz-plus"]
    with time_machine.travel(day(1)):
        refused(
            "not_found", orders.add_package_change, actor=foreign, workplace=joerg, package=plus
        )
        problem = refused(
            "minimum_term", orders.add_package_change, actor=ally, workplace=joerg, package=basic
        ).problems[0]
        assert (problem.field, problem.params) == ("package", {"earliest": "2026-04-01"})
        refused(
            "minimum_term",
            lifecycle.change_package,
            workplace=joerg,
            package=basic,
            actor=ally,
            today=day(1).date(),
        )
    with time_machine.travel(day(31)):
        change = orders.add_package_change(actor=ally, workplace=joerg, package=basic)
        assert CartChange.objects.get() == change
        refused(
            "not_found",
            lifecycle.change_package,
            workplace=joerg,
            package=basic,
            actor=foreign,
            today=day(31).date(),
        )
        # Taking it out of the cart again: only the cart's own admin may.
        refused("not_found", orders.remove_change, actor=foreign, change=change)
        assert CartChange.objects.filter(pk=change.pk).exists()
        orders.remove_change(actor=ally, change=change)
        assert not CartChange.objects.filter(pk=change.pk).exists()


def test_deletion(ally, foreign, joerg):
    with time_machine.travel(day(1)):
        refused("not_found", orders.order_deletion, actor=foreign, workplace=joerg)
        # inside the minimum term the deletion is scheduled for its end
        assert orders.order_deletion(actor=ally, workplace=joerg) is None
    joerg.refresh_from_db()
    assert (joerg.status, joerg.cancel_on) == (Workplace.Status.CANCEL_SCHEDULED, day(30).date())
    refused("not_active", orders.order_deletion, actor=ally, workplace=joerg)
    refused(
        "cancellation_scheduled",
        lifecycle.delete_workplace,
        workplace=joerg,
        actor=ally,
        today=day(2).date(),
    )


def test_withdraw_cancellation(ally, foreign, joerg):
    lifecycle.schedule_deletion(workplace=joerg, actor=ally, on=day(30).date())
    today = day(5).date()
    refused(
        "not_found", lifecycle.withdraw_cancellation, workplace=joerg, actor=foreign, today=today
    )
    refused(
        "withdrawal_too_late",
        lifecycle.withdraw_cancellation,
        workplace=joerg,
        actor=ally,
        today=day(30).date(),
    )
    lifecycle.withdraw_cancellation(workplace=joerg, actor=ally, today=today)
    refused(
        "no_cancellation", lifecycle.withdraw_cancellation, workplace=joerg, actor=ally, today=today
    )
    refused("not_found", lifecycle.schedule_deletion, workplace=joerg, actor=foreign, on=today)
    Workplace.objects.filter(pk=joerg.pk).update(status=Workplace.Status.DELETED)
    refused("not_cancellable", lifecycle.schedule_deletion, workplace=joerg, actor=ally, on=today)


# --- the list import: check and cart step --------------------------------------------------


def test_import_check_and_cart_step(
    alice, ally, foreign, trunk, django_capture_on_commit_callbacks
):
    data = csv_bytes([HEADER, person(), person(first_name="Anna", auth_email="anna@example.com")])
    refused(
        "not_found",
        listimport.start_check,
        actor=foreign,
        trunk=trunk,
        file_name="l.csv",
        data=data,
    )
    with django_capture_on_commit_callbacks(execute=True):
        run = listimport.start_check(actor=ally, trunk=trunk, file_name="l.csv", data=data)
    run.refresh_from_db()
    assert (run.status, run.result["ok"]) == (ImportRun.Status.CHECKED, 2)
    refused("not_found", listimport.start_cart, actor=foreign, run=run, mode=listimport.ALL)
    refused("import_mode", listimport.start_cart, actor=ally, run=run, mode="some")
    with django_capture_on_commit_callbacks(execute=True):
        listimport.start_cart(actor=ally, run=run, mode=listimport.ALL)
    assert SetupDraft.objects.filter(status=SetupDraft.Status.IN_CART).count() == 2
    run.refresh_from_db()
    refused("import_taken_over", listimport.start_cart, actor=ally, run=run, mode=listimport.ALL)


def test_the_same_person_rule_is_the_services():
    seen = {setup.person_key("Jörg", "Müller", "joerg@example.com"): 2}
    [problem] = setup.check_same_person(
        first_name="JÖRG", last_name="müller", auth_email="Joerg@Example.com", seen=seen
    ).problems
    assert (problem.code, problem.field, problem.params) == ("same_person", "username", {"line": 2})
    assert setup.check_same_person(
        first_name="Anna", last_name="Müller", auth_email="joerg@example.com", seen=seen
    ).ok
