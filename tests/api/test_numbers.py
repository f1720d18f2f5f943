"""GET /api/v1/trunks/{code}/numbers: the page "Rufnummern" for machines (issue 18)."""

from __future__ import annotations

import json

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.test_v1 import assert_problem, get, key_for
from workplaces.models import SetupDraft, Workplace


def numbers_url(trunk) -> str:
    return f"/api/v1/trunks/{trunk.code}/numbers"


def hold_two(trunk, admin) -> None:
    """-10 assigned to Jörg Müller, -11 reserved by a draft of ``admin`` (Anna Schmidt)."""
    Workplace.objects.create(
        trunk=trunk,
        username="joerg.mueller",
        number=trunk.numbers.get(extension="10"),
        status=Workplace.Status.ACTIVE,
        first_name="Jörg",
        last_name="Müller",
    )
    SetupDraft.objects.create(
        customer=trunk.customer,
        trunk=trunk,
        created_by=admin,
        number=trunk.numbers.get(extension="11"),
        first_name="Anna",
        last_name="Schmidt",
    )


def test_numbers_come_in_e164_and_national_form_with_who_holds_them(alice, trunk):
    hold_two(trunk, alice)
    body = json.loads(get(numbers_url(trunk), key_for(alice), page_size=3).content)
    assert (body["count"], body["pages"]) == (88, 30)
    assert body["items"] == [
        {
            "e164": "+4922818123410",
            "national": "0228 181234-10",
            "extension": "10",
            "status": "assigned",
            "holder": {"name": "Jörg Müller", "username": "joerg.mueller", "reserved_by": None},
        },
        {
            "e164": "+4922818123411",
            "national": "0228 181234-11",
            "extension": "11",
            "status": "reserved",
            "holder": {"name": "Anna Schmidt", "username": None, "reserved_by": "alice"},
        },
        {
            "e164": "+4922818123412",
            "national": "0228 181234-12",
            "extension": "12",
            "status": "free",
            "holder": None,
        },
    ]


def test_free_true_leaves_out_assigned_and_reserved_numbers(alice, trunk):
    hold_two(trunk, alice)
    body = json.loads(get(numbers_url(trunk), key_for(alice), free="true", page_size=2).content)
    assert body["count"] == 86
    assert [item["e164"] for item in body["items"]] == ["+4922818123412", "+4922818123413"]


def test_q_searches_as_the_page_does(alice, trunk):
    raw_key = key_for(alice)

    def found(q: str) -> list[str]:
        body = json.loads(get(numbers_url(trunk), raw_key, q=q, page_size=200).content)
        return [item["extension"] for item in body["items"]]

    assert found("0228 181234-2") == [str(n) for n in range(20, 30)]
    assert found("+49 228 181234 55") == ["55"]
    assert found("*99") == ["99"]
    assert found("0221") == []
    assert_problem(get(numbers_url(trunk), raw_key, q="1" * 41), 422)


def test_a_key_of_another_customer_gets_404_for_the_trunk(alice, charlie, trunk):
    body = assert_problem(get(numbers_url(trunk), key_for(charlie)), 404)
    assert body["errors"][0]["code"] == "not_found"
    assert body["errors"][0]["pointer"] is None
    assert_problem(get("/api/v1/trunks/kein-code/numbers", key_for(alice)), 404)


def test_the_query_count_does_not_grow_with_the_page_size(alice, trunk):
    for n in range(10, 40):
        Workplace.objects.create(
            trunk=trunk,
            username=f"person.{n}",
            number=trunk.numbers.get(extension=str(n)),
            status=Workplace.Status.ACTIVE,
        )
    raw_key = key_for(alice)
    get(numbers_url(trunk), raw_key)  # the key's first use writes its date

    def queries(page_size: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = get(numbers_url(trunk), raw_key, page_size=page_size)
        assert len(json.loads(response.content)["items"]) == page_size
        return len(captured)

    assert queries(2) == queries(40)
