"""portal.bulk.insert_from: new rows copied from others in one statement."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import F
from django.db.models.functions import UUID4, Concat
from django.test.utils import CaptureQueriesContext

from orders.models import OrderItem
from portal.bulk import insert_from
from portal.models import UsernameClaim
from workplaces.models import Workplace


@pytest.fixture
def workplaces(trunk):
    return Workplace.objects.bulk_create(
        Workplace(trunk=trunk, username=f"quelle.{i}", first_name=f"Vorname {i}") for i in (2, 0, 1)
    )


def test_it_copies_the_rows_in_their_order_in_one_statement(workplaces):
    rows = Workplace.objects.order_by("username")
    with CaptureQueriesContext(connection) as queries:
        keys = insert_from(
            Workplace,
            rows,
            code=UUID4(),
            trunk_id=F("trunk_id"),
            username=Concat(F("username"), F("first_name")),
            created_at=F("created_at"),
        )
    assert len(queries) == 1
    copies = list(Workplace.objects.filter(pk__in=keys).order_by("pk"))
    assert [w.username for w in copies] == [f"quelle.{i}Vorname {i}" for i in range(3)]
    # Fields left out: their plain default, "" for text, NULL where allowed.
    assert {(w.status, w.first_name, w.number_id) for w in copies} == {("pending", "", None)}
    assert len({w.code for w in [*copies, *workplaces]}) == 6


def test_it_inserts_nothing_for_no_rows(db):
    with CaptureQueriesContext(connection) as queries:
        assert insert_from(UsernameClaim, Workplace.objects.none(), name=F("username")) == []
        assert insert_from(UsernameClaim, Workplace.objects.filter(pk__in=[])) == []
    assert len(queries) == 0


def test_a_field_without_a_plain_default_must_be_given(workplaces):
    # A callable default would be one value for every row; a required field has none.
    with pytest.raises(TypeError, match=r"Workplace\.code needs a value"):
        insert_from(Workplace, Workplace.objects.all(), trunk_id=F("trunk_id"))
    with pytest.raises(TypeError, match=r"OrderItem\.order needs a value"):
        insert_from(OrderItem, Workplace.objects.all(), workplace_id=F("pk"))
    with pytest.raises(TypeError, match="Workplace has no field nickname"):
        insert_from(Workplace, Workplace.objects.all(), nickname=F("username"))
    assert Workplace.objects.count() == 3
