"""A page of a trunk's numbers selects its numbers first by ``e164`` (the ``(trunk, e164)``
index holds them: a deep page skips index entries, not rows), and shows what slicing showed."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import scale_data
from trunks.services import numbers_paginator, search_numbers


def test_a_deep_page_of_numbers_is_the_slice_selected_by_e164_first(packages):
    scale = scale_data.create()
    scale_data.grow(scale, workplaces=10, numbers=300)
    scale.trunk.refresh_from_db()  # its stored count of numbers
    for only_free in (False, True):
        paginator = numbers_paginator(scale.trunk, only_free=only_free, per_page=50)
        plain = Paginator(search_numbers(scale.trunk, only_free=only_free), 50)
        assert paginator.num_pages == plain.num_pages
        for number in range(1, paginator.num_pages + 1):
            with CaptureQueriesContext(connection) as queries:
                shown = list(paginator.page(number).object_list)
            assert shown == list(plain.page(number).object_list)
            assert '"e164" IN (SELECT' in queries.captured_queries[-1]["sql"]
