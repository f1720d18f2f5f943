"""KeysFirstPaginator: the same pages as Django's Paginator, from a subquery of keys."""

from __future__ import annotations

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.paging import KeysFirstPaginator
from workplaces.models import Workplace


@pytest.fixture
def workplaces(trunk, alice):
    numbers = iter(trunk.numbers.order_by("e164"))
    names = ["Weber", "Abel", "Zander", "Abel", "Meyer", "Weber", "Abel"]
    Workplace.objects.bulk_create(
        Workplace(
            trunk=trunk,
            username=f"person.{i}",
            number=next(numbers) if i % 2 else None,
            status=Workplace.Status.DELETED if i == 3 else Workplace.Status.ACTIVE,
            first_name=f"Vorname {i % 3}",
            last_name=names[i % len(names)],
            created_by=alice,
        )
        for i in range(23)
    )
    rows = Workplace.objects.filter(trunk=trunk).exclude(status=Workplace.Status.DELETED)
    return rows.select_related("number", "package", "trunk").order_by(
        "last_name", "first_name", "pk"
    )


@pytest.mark.parametrize("orphans", [0, 3])
def test_every_page_holds_the_rows_of_djangos_paginator_in_order(workplaces, orphans):
    ours = KeysFirstPaginator(workplaces, 5, orphans=orphans)
    django = Paginator(workplaces, 5, orphans=orphans)
    assert ours.num_pages == django.num_pages > 3
    for number in ours.page_range:
        page, expected = ours.page(number), django.page(number)
        assert [w.pk for w in page] == [w.pk for w in expected]
        assert (page.start_index(), page.end_index()) == (
            expected.start_index(),
            expected.end_index(),
        )
    # The joined rows come along: reading them asks nothing more.
    with CaptureQueriesContext(connection) as queries:
        rows = list(ours.get_page(2).object_list)
        [(w.trunk.name, w.number and w.number.e164, w.package) for w in rows]
    assert len(queries) == 1  # the count is known already; the page is one query


def test_a_page_is_one_query_whose_keys_come_from_a_subquery(workplaces):
    paginator = KeysFirstPaginator(workplaces, 5)
    paginator.count  # noqa: B018 (counted first, as get_page does)
    with CaptureQueriesContext(connection) as queries:
        list(paginator.get_page(3).object_list)
    (sql,) = [q["sql"] for q in queries.captured_queries]
    # The outer query reads the page's rows by key; the sorting and skipping are inside.
    assert " IN (SELECT " in sql
    assert sql.count("LIMIT") == 1
    assert "LIMIT 5 OFFSET 10" in sql
