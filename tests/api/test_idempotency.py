"""Safe to retry (issue 18, item 4): the same Idempotency-Key with the same request gets the
first answer, never a second order, also when twenty copies arrive at once (PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
import time_machine
from django.http import HttpResponse
from django.test import Client, RequestFactory

from api import idempotency
from api.models import ApiKey, IdempotencyKey
from orders.models import Order
from tests.api.test_orders import ORDERS, new_workplace, post
from tests.api.test_v1 import assert_problem, key_for
from tests.orders.test_exactly_once import run_at_once
from workplaces.models import SetupDraft

COPIES = 20


def test_a_retry_gets_the_first_answer_and_no_second_order(alice, trunk):
    key, body = key_for(alice), {"items": [new_workplace(trunk)]}
    first = post(ORDERS, key, body, "bestellung-1")
    again = post(ORDERS, key, body, "bestellung-1")
    assert first.status_code == again.status_code == 202
    assert again.content == first.content
    assert again["Location"] == first["Location"]
    assert again["Content-Type"] == first["Content-Type"]
    assert again["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1
    # The same body written another way is the same request.
    respaced = {"items": [dict(reversed(list(body["items"][0].items())))]}
    assert post(ORDERS, key, respaced, "bestellung-1").content == first.content
    assert Order.objects.count() == 1


def test_the_same_key_with_another_body_is_422(alice, trunk):
    key = key_for(alice)
    post(ORDERS, key, {"items": [new_workplace(trunk)]}, "k")
    other = post(ORDERS, key, {"items": [new_workplace(trunk, first_name="Max")]}, "k")
    body = assert_problem(other, 422)
    assert "Idempotency-Key" in body["detail"]
    assert Order.objects.count() == 1


def test_keys_belong_to_their_api_key(alice, bob, trunk):
    body = {"items": [new_workplace(trunk, first_name="Max")]}
    assert post(ORDERS, key_for(alice), body, "k").status_code == 202
    response = post(ORDERS, key_for(bob, "Bobs"), {"items": [new_workplace(trunk)]}, "k")
    assert response.status_code == 202
    assert Order.objects.count() == 2


def test_a_refusal_is_an_answer_and_replayed(alice, trunk):
    key, body = key_for(alice), {"items": [new_workplace(trunk, username="Gross")]}
    first = post(ORDERS, key, body, "k")
    assert_problem(first, 422)
    again = post(ORDERS, key, body, "k")
    assert (again.status_code, again.content) == (422, first.content)
    assert again["Content-Type"] == "application/problem+json"


def request_with(body: dict):
    return RequestFactory().post(ORDERS, json.dumps(body), content_type="application/json")


def test_a_server_error_is_not_stored_and_the_retry_does_the_work(alice, trunk):
    key_for(alice)
    api_key = ApiKey.objects.get()

    def fails():
        SetupDraft.objects.create(customer=alice.customer, created_by=alice, trunk=trunk)
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        idempotency.once(request_with({"a": 1}), api_key, "k", fails)
    assert not IdempotencyKey.objects.exists()
    assert not SetupDraft.objects.exists()  # its work rolled back with it

    def answers_500():
        return HttpResponse(status=503)

    assert idempotency.once(request_with({"a": 1}), api_key, "k", answers_500).status_code == 503
    assert not IdempotencyKey.objects.exists()

    def works():
        return HttpResponse(b"done", status=201)

    assert idempotency.once(request_with({"a": 1}), api_key, "k", works).content == b"done"
    assert IdempotencyKey.objects.get().status_code == 201


def test_keys_are_kept_a_day_then_purged(alice, trunk, settings):
    settings.IDEMPOTENCY_KEY_HOURS = 24
    key, body = key_for(alice), {"items": [new_workplace(trunk)]}
    start = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        post(ORDERS, key, body, "k")
        clock.shift(dt.timedelta(hours=23, minutes=59))
        assert idempotency.purge_idempotency_keys() == 0
        assert post(ORDERS, key, body, "k")["Idempotent-Replayed"] == "true"
        clock.shift(dt.timedelta(minutes=2))
        assert idempotency.purge_idempotency_keys() == 1
    assert not IdempotencyKey.objects.exists()


@pytest.mark.postgres
def test_twenty_copies_at_once_make_one_order_and_the_same_answer(transactional_db, alice, trunk):
    key, body = key_for(alice), {"items": [new_workplace(trunk)]}
    same_key = str(uuid.uuid4())
    responses = run_at_once([lambda: post(ORDERS, key, body, same_key) for _ in range(COPIES)])
    assert [r.status_code for r in responses] == [202] * COPIES
    assert len({r.content for r in responses}) == 1
    assert len({r["Location"] for r in responses}) == 1
    assert Order.objects.count() == 1
    assert sum(not r.has_header("Idempotent-Replayed") for r in responses) == 1


def test_a_key_of_invisible_or_too_many_characters_is_400(alice, trunk):
    key, body = key_for(alice), {"items": [new_workplace(trunk)]}
    assert_problem(post(ORDERS, key, body, "mit leerzeichen"), 400)
    assert_problem(post(ORDERS, key, body, "x" * 256), 400)
    assert not Order.objects.exists()


def test_every_post_declares_the_key_and_its_problems(db):
    schema = json.loads(Client().get("/api/v1/openapi.json").content)
    posts = [
        (path, operations["post"])
        for path, operations in schema["paths"].items()
        if "post" in operations
    ]
    assert {path for path, _ in posts} >= {
        "/api/v1/orders",
        "/api/v1/workplaces/{code}/password-reset",
    }
    for path, operation in posts:
        (header,) = [p for p in operation["parameters"] if p["in"] == "header"]
        assert (header["name"], header["required"]) == ("Idempotency-Key", True), path
        assert {"400", "401", "404", "422", "429"} <= operation["responses"].keys(), path
