"""The CSV export streams: pieces of a fixed number of rows from one query, whatever the
number of rows, so that 10,000 rows need neither more memory nor more queries than ten."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog import offer
from tests.manage.test_manage import EXPORT, bulk_workplaces, csv_rows
from workplaces.manage import views


def export(client, trunk):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(EXPORT, {"trunk": trunk.code})
        pieces = list(response.streaming_content)
    response.streaming_content = iter(pieces)
    return response, pieces, len(queries)


def test_the_export_streams_every_row_in_pieces_of_a_fixed_size(
    alice_client, alice, trunk, monkeypatch
):
    monkeypatch.setattr(views, "EXPORT_CHUNK", 2)
    bulk_workplaces(trunk, alice, 5)
    response, pieces, _queries = export(alice_client, trunk)
    assert response.streaming
    assert len(pieces) == 3, "two pieces of two rows (the first with the header), then one"
    rows = csv_rows(response)
    assert [row[2] for row in rows[1:]] == [f"person.{i:03d}" for i in range(5)]
    assert rows[1][3] == "0228 181234-10" and rows[1][5] == "Aktiv"


def test_the_export_needs_the_same_queries_for_none_and_for_many_rows(
    alice_client, alice, trunk, monkeypatch
):
    monkeypatch.setattr(views, "EXPORT_CHUNK", 4)
    offer.conference_packages()  # the process's first page read them; the others do not
    response, _pieces, none = export(alice_client, trunk)
    assert len(csv_rows(response)) == 1
    bulk_workplaces(trunk, alice, 30)
    response, pieces, many = export(alice_client, trunk)
    assert len(csv_rows(response)) == 31 and len(pieces) == 8
    assert none == many
