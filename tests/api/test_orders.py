"""POST /api/v1/orders, GET /api/v1/orders[/{code}] and the password reset (issue 18): the
pages' services behind a third door, all or nothing, refusals per item and field."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from orders.models import CartChange, Order, OrderItem
from portal.models import AuditEvent
from tests.api.test_v1 import assert_problem, get, key_for
from tests.services.helpers import active_workplace, draft_in_cart
from workplaces.models import SetupDraft, Workplace

ORDERS = "/api/v1/orders"

PERSON = {
    "first_name": "Erika",
    "last_name": "Mustermann",
    "street": "Hauptstraße",
    "house_number": "1",
    "postcode": "53111",
    "city": "Bonn",
}


def new_workplace(trunk, **fields) -> dict:
    return {
        "kind": "new_workplace",
        "trunk": str(trunk.code),
        **PERSON,
        "auth_email": "erika@example.com",
        **fields,
    }


def post(path: str, key: str, body: dict, idempotency_key: str | None = None):
    headers = {"Authorization": f"Bearer {key}"}
    headers["Idempotency-Key"] = idempotency_key or str(uuid.uuid4())
    return Client().post(path, json.dumps(body), content_type="application/json", headers=headers)


def order_items(key: str, *items: dict):
    return post(ORDERS, key, {"items": list(items)})


def test_a_new_workplace_is_ordered_and_answered_with_its_status_url(alice, trunk):
    response = order_items(key_for(alice), new_workplace(trunk, package="konferenz-plus"))
    assert response.status_code == 202, response.content
    body = json.loads(response.content)
    order = Order.objects.get()
    assert body["code"] == str(order.code)
    assert body["status_url"] == f"http://testserver/api/v1/orders/{order.code}"
    assert response["Location"] == body["status_url"]
    (item,) = order.items.all()
    assert item.kind == OrderItem.Kind.NEW_WORKPLACE
    assert item.package.code == "konferenz-plus"
    workplace = item.workplace
    # The suggestion from the name and the trunk's next free number, as the import does.
    assert workplace.username == "erika.mustermann"
    assert workplace.number.e164 == "+4922818123410"
    assert not SetupDraft.objects.filter(status=SetupDraft.Status.IN_CART).exists()
    placed = AuditEvent.objects.get(action="order_placed")
    assert (placed.actor, placed.actor_label) == (alice, "API-Schlüssel HR")


def test_refusals_name_each_item_and_field_and_nothing_is_ordered(alice, trunk, other_trunk):
    response = order_items(
        key_for(alice),
        new_workplace(trunk, username="erika.m"),
        new_workplace(trunk, username="Erika.Muster", auth_email="erika@example.com"),
        new_workplace(other_trunk, username="erika.k"),
        new_workplace(trunk, username="erika.p", first_name="", number="0228 181234-5"),
    )
    body = assert_problem(response, 422)
    found = {(e["pointer"], e["code"]) for e in body["errors"]}
    assert found == {
        ("/items/1/username", "username_uppercase"),
        ("/items/2/trunk", "not_found"),  # charlie's trunk: as if it did not exist
        ("/items/3/first_name", "required"),
        ("/items/3/number", "foreign_number"),
    }
    for entry in body["errors"]:
        assert entry["message"] and entry["field"] == entry["pointer"].rsplit("/", 1)[1]
    assert "Großbuchstaben" in next(
        e["message"] for e in body["errors"] if e["code"].startswith("username")
    )
    # All or nothing: the first item, which was fine, left no draft and no reservation.
    assert not SetupDraft.objects.exists()
    assert not Order.objects.exists()


def test_it_orders_only_its_items_and_leaves_the_admins_cart_alone(alice, trunk):
    mine = draft_in_cart(alice, trunk, username="auf.der.seite")
    response = order_items(key_for(alice), new_workplace(trunk))
    assert response.status_code == 202
    order = Order.objects.get()
    assert [i.workplace.username for i in order.items.all()] == ["erika.mustermann"]
    mine.refresh_from_db()
    assert mine.status == SetupDraft.Status.IN_CART


def test_a_package_change_and_a_deletion_in_one_order(alice, trunk, packages):
    changed = active_workplace(alice, trunk, username="wechsel.person")
    deleted = active_workplace(alice, trunk, username="geht.person")
    key = key_for(alice)
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=40)):
        response = order_items(
            key,
            {
                "kind": "package_change",
                "workplace": str(changed.code),
                "package": "konferenz-basic",
            },
            {"kind": "deletion", "workplace": str(deleted.code)},
            {"kind": "deletion", "workplace": str(deleted.code)},  # said twice, deleted once
        )
    assert response.status_code == 202, response.content
    order = Order.objects.get(code=json.loads(response.content)["code"])
    kinds = sorted((i.kind, i.workplace.username) for i in order.items.all())
    assert kinds == [
        (OrderItem.Kind.DELETION, "geht.person"),
        (OrderItem.Kind.PACKAGE_CHANGE, "wechsel.person"),
    ]
    assert not CartChange.objects.exists()


def test_a_deletion_inside_the_minimum_term_is_scheduled_as_on_the_page(alice, trunk):
    workplace = active_workplace(alice, trunk, username="bleibt.noch")
    orders_before = Order.objects.count()
    response = order_items(key_for(alice), {"kind": "deletion", "workplace": str(workplace.code)})
    assert response.status_code == 200
    body = json.loads(response.content)
    assert body["code"] is None and body["status_url"] is None
    workplace.refresh_from_db()
    assert workplace.status == Workplace.Status.CANCEL_SCHEDULED
    assert body["scheduled"] == [
        {"item": 0, "workplace": str(workplace.code), "date": workplace.cancel_on.isoformat()}
    ]
    assert Order.objects.count() == orders_before


def test_a_downgrade_inside_the_minimum_term_is_refused_with_its_code(alice, trunk, packages):
    workplace = active_workplace(
        alice, trunk, username="plus.person", package=packages["konferenz-plus"]
    )
    response = order_items(
        key_for(alice),
        new_workplace(trunk),
        {"kind": "package_change", "workplace": str(workplace.code), "package": "konferenz-basic"},
    )
    body = assert_problem(response, 422)
    assert [(e["pointer"], e["code"]) for e in body["errors"]] == [
        ("/items/1/package", "minimum_term")
    ]
    assert not SetupDraft.objects.filter(status=SetupDraft.Status.IN_CART).exists()


def test_charlies_key_cannot_touch_alices_workplaces(alice, charlie, trunk):
    workplace = active_workplace(alice, trunk, username="nicht.deins")
    response = order_items(key_for(charlie), {"kind": "deletion", "workplace": str(workplace.code)})
    body = assert_problem(response, 422)
    assert [(e["pointer"], e["code"]) for e in body["errors"]] == [
        ("/items/0/workplace", "not_found")
    ]
    workplace.refresh_from_db()
    assert workplace.status == Workplace.Status.ACTIVE


def test_a_malformed_item_is_422_with_its_pointer(alice, trunk):
    response = order_items(key_for(alice), {"kind": "deletion"})
    body = assert_problem(response, 422)
    assert body["errors"][0]["pointer"] == "/items/0/workplace"
    assert_problem(post(ORDERS, key_for(alice, "Zwei"), {"items": []}), 422)


def test_every_post_needs_an_idempotency_key(alice, trunk):
    response = Client().post(
        ORDERS,
        json.dumps({"items": [new_workplace(trunk)]}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key_for(alice)}"},
    )
    body = assert_problem(response, 400)
    assert "Idempotency-Key" in body["detail"]
    assert not SetupDraft.objects.exists()


def test_an_order_reads_with_status_history_items_and_messages(alice, charlie, trunk):
    key = key_for(alice)
    code = json.loads(order_items(key, new_workplace(trunk)).content)["code"]
    body = json.loads(get(f"{ORDERS}/{code}", key).content)
    assert body["code"] == code and body["status"] == "received"
    assert [h["status"] for h in body["history"]] == ["received"]
    dt.datetime.fromisoformat(body["created_at"])
    (item,) = body["items"]
    assert item["kind"] == "new_workplace" and item["outcome"] == "pending"
    assert item["number"] == {"e164": "+4922818123410", "national": "0228 181234-10"}
    assert body["messages"] == []
    assert_problem(get(f"{ORDERS}/{code}", key_for(charlie)), 404)
    assert_problem(get(f"{ORDERS}/kein-code", key), 404)
    listed = json.loads(get(ORDERS, key).content)
    assert listed["count"] == 1 and listed["items"][0]["code"] == code
    assert json.loads(get(ORDERS, key_for(charlie, "C")).content)["count"] == 0


def test_a_password_reset_goes_through_the_pages_service(alice, charlie, trunk):
    workplace = active_workplace(alice, trunk, username="vergessen.person")
    path = f"/api/v1/workplaces/{workplace.code}/password-reset"
    assert_problem(post(path, key_for(charlie), {}), 404)
    response = post(path, key_for(alice), {})
    assert response.status_code == 202
    assert json.loads(response.content) == {"workplace": str(workplace.code), "channel": "email"}
    workplace.user.refresh_from_db()
    assert not workplace.user.has_usable_password()
    event = AuditEvent.objects.get(action="password_reset")
    assert event.actor_label == "API-Schlüssel HR"


@pytest.mark.postgres
def test_nul_characters_are_refused_not_a_server_error(alice, trunk):
    """PostgreSQL refuses NUL in text: every field must be refused before a query."""
    workplace = active_workplace(alice, trunk, username="nul.person")
    nul = "a\x00b"
    response = order_items(
        key_for(alice),
        new_workplace(trunk, username=nul, number=nul, package=nul, mobile=nul, email=nul),
        new_workplace(trunk, first_name=nul, auth_email=nul),
        {"kind": "package_change", "workplace": str(workplace.code), "package": nul},
        {"kind": "deletion", "workplace": nul},
    )
    body = assert_problem(response, 422)
    assert {e["pointer"].split("/")[2] for e in body["errors"]} == {"0", "1", "2", "3"}


def test_the_order_list_costs_the_same_queries_for_one_order_or_three(alice, trunk):
    key = key_for(alice)

    def queries_of_the_list() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert get(ORDERS, key).status_code == 200
        return len(queries.captured_queries)

    order_items(key, new_workplace(trunk))
    one = queries_of_the_list()
    for name in ("Max", "Moritz"):
        order_items(key, new_workplace(trunk, first_name=name))
    assert json.loads(get(ORDERS, key).content)["count"] == 3
    assert queries_of_the_list() == one
