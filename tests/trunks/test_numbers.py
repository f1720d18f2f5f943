"""The trunk's number list: paging, the carrier's search syntax, free and held numbers."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from trunks.models import Number
from trunks.numbers import NumberQuery, format_international, format_national, parse_number_query
from workplaces.models import SetupDraft, Workplace


def numbers_url(trunk) -> str:
    return reverse("manage:numbers", args=[trunk.code])


def listed(response) -> list[str]:
    """The numbers on the page as the admin reads them (first column of the table)."""
    return re.findall(r"<tr>\s*<td>([^<]+)</td>", response.content.decode())


def row_of(response, national: str) -> str:
    for row in response.content.decode().split("<tr>"):
        if f"<td>{national}</td>" in row:
            return row
    raise AssertionError(f"{national} is not listed")


def test_it_lists_the_first_50_numbers_on_the_first_page(alice_client, trunk):
    response = alice_client.get(numbers_url(trunk))
    assert response.status_code == 200
    rows = listed(response)
    assert len(rows) == 50
    assert rows[0] == "0228 181234-10"
    assert rows[-1] == "0228 181234-59"
    page = response.content.decode()
    assert "88 Rufnummern" in page
    assert "Seite 1 von 2" in page


def test_it_lists_the_rest_on_the_second_page(alice_client, trunk):
    response = alice_client.get(numbers_url(trunk), {"page": 2})
    rows = listed(response)
    assert len(rows) == 38
    assert rows[0] == "0228 181234-60"
    assert rows[-1] == "0228 181234-99"
    assert "0228 181234-77" not in rows
    assert "Seite 2 von 2" in response.content.decode()


@pytest.mark.parametrize(("page", "first"), [("99", "0228 181234-60"), ("abc", "0228 181234-10")])
def test_it_shows_a_real_page_for_a_page_number_out_of_range(alice_client, trunk, page, first):
    response = alice_client.get(numbers_url(trunk), {"page": page})
    assert response.status_code == 200
    assert listed(response)[0] == first


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("0228 181234 1", [f"0228 181234-{ext}" for ext in range(10, 20)]),
        ("0228181234 2", [f"0228 181234-{ext}" for ext in range(20, 30)]),
        ("+49 228 181234 3", [f"0228 181234-{ext}" for ext in range(30, 40)]),
        ("+49 (228) 181234-4", [f"0228 181234-{ext}" for ext in range(40, 50)]),
        ("0049 228 181234 5", [f"0228 181234-{ext}" for ext in range(50, 60)]),
        ("0228 181234 99", ["0228 181234-99"]),
    ],
)
def test_it_finds_numbers_by_their_national_or_international_beginning(
    alice_client, trunk, query, expected
):
    response = alice_client.get(numbers_url(trunk), {"q": query})
    assert listed(response) == expected


def test_a_star_finds_digits_anywhere_in_the_number(alice_client, trunk):
    response = alice_client.get(numbers_url(trunk), {"q": "*7"})
    expected = sorted(
        {f"0228 181234-{ext}" for ext in [*range(70, 80), 17, 27, 37, 47, 57, 67, 87, 97]}
        - {"0228 181234-77", "0228 181234-78"}
    )
    assert listed(response) == expected


def test_a_star_finds_digits_of_the_area_code_in_the_middle(alice_client, trunk):
    response = alice_client.get(numbers_url(trunk), {"q": "*2281"})
    assert "88 Rufnummern" in response.content.decode()


def test_digits_without_a_leading_zero_are_found_anywhere(alice_client, trunk):
    response = alice_client.get(numbers_url(trunk), {"q": "2345"})
    assert listed(response) == [f"0228 181234-{ext}" for ext in range(50, 60)]


def test_the_search_beginning_with_an_area_code_does_not_match_in_the_middle(alice_client, trunk):
    response = alice_client.get(numbers_url(trunk), {"q": "0123"})
    assert listed(response) == []
    assert "Keine Rufnummer passt zu Ihrer Suche." in response.content.decode()


def test_the_search_never_shows_numbers_of_another_customer(alice_client, trunk, other_trunk):
    response = alice_client.get(numbers_url(trunk), {"q": "0221 98765"})
    assert listed(response) == []


def test_a_search_without_digits_lists_every_number(alice_client, trunk):
    response = alice_client.get(numbers_url(trunk), {"q": "Bonn"})
    assert "88 Rufnummern" in response.content.decode()


def test_the_next_page_link_keeps_the_search(alice_client, trunk):
    response = alice_client.get(numbers_url(trunk), {"q": "*2281"})
    link = re.search(r'<a href="\?([^"]+)" rel="next"', response.content.decode())
    assert link is not None
    assert "q=%2A2281" in link.group(1)
    assert "page=2" in link.group(1)


@pytest.fixture
def held_numbers(trunk, bob):
    """Extension 10 assigned to a workplace, 11 reserved by bob's unfinished setup."""
    assigned = Number.objects.get(trunk=trunk, extension="10")
    reserved = Number.objects.get(trunk=trunk, extension="11")
    Workplace.objects.create(
        trunk=trunk,
        username="anna.schmidt",
        first_name="Anna",
        last_name="Schmidt",
        number=assigned,
        status=Workplace.Status.ACTIVE,
    )
    SetupDraft.objects.create(
        customer=trunk.customer,
        created_by=bob,
        trunk=trunk,
        first_name="Lena",
        last_name="Weber",
        number=reserved,
    )
    return assigned, reserved


def test_it_shows_which_numbers_are_free_assigned_or_reserved(alice_client, trunk, held_numbers):
    response = alice_client.get(numbers_url(trunk))
    assert "vergeben an Anna Schmidt (anna.schmidt)" in row_of(response, "0228 181234-10")
    assert "reserviert in einer Einrichtung von bob (Lena Weber)" in row_of(
        response, "0228 181234-11"
    )
    free_row = row_of(response, "0228 181234-12")
    assert "frei" in free_row
    assert "vergeben" not in free_row
    assert "reserviert" not in free_row


def test_only_free_lists_neither_assigned_nor_reserved_numbers(alice_client, trunk, held_numbers):
    response = alice_client.get(numbers_url(trunk), {"free": "on"})
    assert "86 Rufnummern" in response.content.decode()
    assert listed(response)[0] == "0228 181234-12"


def test_a_released_number_is_free_again(alice_client, trunk, held_numbers):
    Workplace.objects.filter(number=held_numbers[0]).update(number=None)
    response = alice_client.get(numbers_url(trunk), {"free": "on", "q": "0228 181234 10"})
    assert listed(response) == ["0228 181234-10"]


def test_an_htmx_search_gets_only_the_results(alice_client, trunk):
    response = alice_client.get(numbers_url(trunk), {"q": "0228 181234 1"}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="number-results">')
    assert "<html" not in page
    assert len(listed(response)) == 10


def test_the_page_shows_numbers_with_their_extension(alice_client, trunk):
    page = alice_client.get(numbers_url(trunk)).content.decode()
    assert re.search(r"<td>0228 181234-10</td>\s*<td>10</td>", page)
    assert "+4922818123410" not in page


@pytest.mark.parametrize(
    ("e164", "extension", "national", "international"),
    [
        ("+4922818123410", "10", "0228 181234-10", "+49 228 181234-10"),
        ("+49228181234", "", "0228 181234", "+49 228 181234"),
        ("+49302345678100", "100", "030 2345678-100", "+49 30 2345678-100"),
        ("+4922198765", "", "0221 98765", "+49 221 98765"),
        ("+4989123456", "", "089 123456", "+49 89 123456"),
        ("+491701234567", "", "0170 1234567", "+49 170 1234567"),
    ],
)
def test_it_formats_numbers_the_way_people_write_them(e164, extension, national, international):
    assert format_national(e164, extension) == national
    assert format_international(e164, extension) == international


def test_a_number_row_formats_itself(trunk):
    number = Number.objects.get(trunk=trunk, extension="42")
    assert number.national == "0228 181234-42"
    assert number.international == "+49 228 181234-42"
    assert str(number) == "+49 228 181234-42"


@pytest.mark.parametrize(
    ("raw", "query"),
    [
        ("0228 181234", NumberQuery(prefix="+49228181234")),
        ("+49 228-1812", NumberQuery(prefix="+492281812")),
        ("0049228", NumberQuery(prefix="+49228")),
        ("*030", NumberQuery(contains="030")),
        ("* 0228", NumberQuery(contains="0228")),
        ("1812", NumberQuery(contains="1812")),
        ("", NumberQuery()),
        ("*", NumberQuery()),
        ("Bonn", NumberQuery()),
        ("０２２８", NumberQuery()),
    ],
)
def test_it_understands_the_carriers_search_syntax(raw, query):
    assert parse_number_query(raw) == query
