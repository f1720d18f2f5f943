"""The composite command for a whole list: each entry as ``put_in_cart`` would decide it one
after another, in a constant number of queries however many entries there are."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.errors import Refusal
from portal.models import UsernameClaim
from portal.policy import Actor
from tests.services.helpers import CONTACTS, USER_DATA, draft_in_cart
from workplaces.models import SetupDraft
from workplaces.services import setup

pytestmark = pytest.mark.django_db


def entry(i: int, **kwargs) -> dict:
    return {"person": USER_DATA, "contacts": CONTACTS, "username": f"liste.{i}"} | kwargs


def put_many(admin, trunk, entries):
    book = setup.NumberBook.of(trunk)
    return setup.put_many_in_cart(
        actor=Actor.for_admin(admin), trunk=trunk, entries=entries, book=book
    )


def queries_for(admin, trunk, count: int, start: int) -> int:
    entries = [entry(start + i) for i in range(count)]
    with CaptureQueriesContext(connection) as queries:
        results = put_many(admin, trunk, entries)
    assert all(isinstance(r, SetupDraft) for r in results)
    return len(queries)


def test_it_costs_the_same_for_3_and_30_entries(alice, trunk):
    trunk.workplace_quota = 100
    trunk.save(update_fields=["workplace_quota"])
    assert queries_for(alice, trunk, 30, 100) == queries_for(alice, trunk, 3, 0)
    assert SetupDraft.objects.filter(status=SetupDraft.Status.IN_CART).count() == 33
    assert UsernameClaim.objects.filter(draft__isnull=False).count() == 33
    numbers = SetupDraft.objects.values_list("number", flat=True)
    assert len(set(numbers)) == 33  # the next free number for each, none twice


def test_each_entry_is_decided_as_one_after_another(alice, bob, trunk):
    held = draft_in_cart(bob, trunk, username="bobs.name")  # holds a number and a name
    trunk.workplace_quota = 4  # bob's draft holds one place: three are left
    trunk.save(update_fields=["workplace_quota"])
    results = put_many(
        alice,
        trunk,
        [
            entry(1),
            entry(2, username=held.username),  # taken by bob's draft
            entry(3, number=held.number.e164),  # held by bob's draft
            entry(4, username="liste.1"),  # taken by the first entry
            entry(5, username="ungültig name"),  # the username rules
            entry(6),
            entry(7),
            entry(8),  # the quota is used up by then
        ],
    )
    codes = [r.code if isinstance(r, Refusal) else "ok" for r in results]
    assert codes[0] == codes[5] == codes[6] == "ok"
    assert all(code != "ok" for code in codes[1:5] + codes[7:])
    assert "Kontingent" in str(results[7].errors)
    assert SetupDraft.objects.filter(created_by=alice).count() == 3
