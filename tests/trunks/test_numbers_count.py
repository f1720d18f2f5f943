"""A trunk keeps how many numbers it has, so that the pages need not count them."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from trunks.models import NumberBlock
from trunks.services import count_numbers, numbers_paginator, save_number_block, search_numbers
from workplaces.models import SetupDraft, Workplace


def test_saving_and_removing_a_block_keeps_the_trunks_count_of_numbers(trunk):
    trunk.refresh_from_db()
    before = trunk.numbers_count
    assert before == trunk.numbers.count() > 0
    block = NumberBlock(trunk=trunk, base="+49228181299")
    assert save_number_block(block) == 1
    trunk.refresh_from_db()
    assert trunk.numbers_count == before + 1
    block.delete()
    count_numbers(trunk.pk)
    trunk.refresh_from_db()
    assert trunk.numbers_count == before


def _counts(trunk, query: str = "", own: int | None = None) -> list[tuple[int, int]]:
    """(paginator's count, rows really listed) for all numbers and for the free ones."""
    trunk.refresh_from_db()
    out = []
    for only_free in (False, True):
        paginator = numbers_paginator(trunk, query, only_free=only_free, own=own, per_page=10)
        listed = search_numbers(trunk, query, only_free=only_free, own=own).count()
        out.append((paginator.count, listed))
    return out


def test_the_numbers_pages_count_without_a_search_as_the_list_has_rows(
    trunk, other_trunk, alice, bob
):
    """Stored total and holders, not the numbers themselves: still the list's length, with
    numbers held by workplaces (a deleted one holds none), drafts (open, in the cart, ordered
    with the workplace that holds the number too), the asking draft's own, and holders on
    another trunk that do not count here."""
    numbers = list(trunk.numbers.order_by("e164"))
    assert all(paginator == listed for paginator, listed in _counts(trunk))
    workplace = Workplace.objects.create(
        trunk=trunk, username="hat.nummer", number=numbers[0], first_name="A", created_by=alice
    )
    Workplace.objects.create(
        trunk=trunk, username="geloescht", status=Workplace.Status.DELETED, created_by=alice
    )
    drafts = [
        SetupDraft.objects.create(
            customer_id=trunk.customer_id,
            created_by=owner,
            trunk=trunk,
            number=number,
            status=status,
            username=f"entwurf.{i}",
        )
        for i, (owner, number, status) in enumerate(
            [
                (alice, numbers[1], SetupDraft.Status.OPEN),
                (bob, numbers[2], SetupDraft.Status.IN_CART),
                (alice, numbers[0], SetupDraft.Status.ORDERED),  # the workplace's number too
            ]
        )
    ]
    elsewhere = other_trunk.numbers.order_by("e164")
    Workplace.objects.create(
        trunk=other_trunk, username="anderswo", number=elsewhere[0], created_by=alice
    )
    counts = _counts(trunk)
    assert all(paginator == listed for paginator, listed in counts)
    assert counts[1][0] == trunk.numbers_count - 3
    own = _counts(trunk, own=drafts[0].number_id)
    assert all(paginator == listed for paginator, listed in own)
    assert own[1][0] == trunk.numbers_count - 2
    # A search is counted on the numbers, as before.
    searched = _counts(trunk, query=workplace.number.e164[-4:])
    assert all(paginator == listed for paginator, listed in searched)


def test_without_a_search_the_free_numbers_are_not_counted_on_every_number(trunk):
    """The count asks the holders only: no query of it reads the numbers table."""
    trunk.refresh_from_db()
    with CaptureQueriesContext(connection) as queries:
        assert numbers_paginator(trunk, only_free=True, per_page=10).count == trunk.numbers_count
    assert len(queries) == 1
    assert "trunks_number" not in queries.captured_queries[0]["sql"]
    with CaptureQueriesContext(connection) as queries:
        assert numbers_paginator(trunk, per_page=10).count == trunk.numbers_count
    assert len(queries) == 0  # all numbers: the stored total
