"""The seed's rules through three doors (issue 18, item 7): one table of usernames and numbers,
each refused by the wizard, the list import and the API with the same German message, on the
same field (the API adds the machine code and the JSON pointer).

The doors only translate; the rules live in the setup service. If a door grew a rule of its
own, or lost one, the three answers would differ here.
"""

from __future__ import annotations

import json

import pytest

from tests.api.test_orders import new_workplace, order_items
from tests.api.test_v1 import key_for
from tests.listimport.test_check import check, errors, person
from tests.services.helpers import draft_in_cart
from tests.wizard_helpers import USER_DATA, login_data, start_draft, step_url
from workplaces.models import SetupDraft

#: Not the Jörg Müller of the helpers' drafts: the import would take a row of the same person
#: and username for one already in a cart (and skip it) rather than refuse it.
ERIKA = {
    **USER_DATA,
    "first_name": "Erika",
    "last_name": "Mustermann",
    "email": "erika.mustermann@example.com",
}

pytestmark = pytest.mark.django_db

#: (username, machine code): every rule of the seed's "Benutzeranmeldung" and the taken name.
USERNAMES = [
    ("jm", "username_short"),
    ("j" * 65, "username_long"),
    ("jörg.m", "username_umlaut"),
    ("Joerg.M", "username_uppercase"),
    ("joerg m", "username_characters"),
    ("joerg+m", "username_characters"),
    (".joerg", "username_edges"),
    ("joerg-", "username_edges"),
    ("joerg..m", "username_separators"),
    ("joerg._m", "username_separators"),
    ("schon.da", "username_taken"),
]

#: (number as written, machine code): the number step's rules. The wizard posts a number of
#: its list (E.164); the import and the API also take the national form and the extension.
NUMBERS = [
    ("+4922198765" + "13", "foreign_number"),  # another customer's trunk
    ("+4922818123499" + "9", "foreign_number"),  # not in the trunk's block
    ("+4922818123411", "number_held"),  # in another admin's cart
]
WRITTEN_NUMBERS = [
    ("0228 181234-1x", "number_format"),
    ("+1 202 555 0100", "number_country"),
    ("77", "extension_prefix"),
]


@pytest.fixture
def taken(bob, charlie, trunk, other_trunk):
    """+49 228 181234-11 is in Bob's cart (he took -10 before); schon.da in the cart of
    another customer (on the same trunk the import would take it for the same person)."""
    draft_in_cart(bob, trunk, username="vorher.da")
    draft_in_cart(bob, trunk, username="auch.da")
    draft_in_cart(charlie, other_trunk, username="schon.da")


def wizard_username_errors(client, trunk, username: str) -> dict[str, list[str]]:
    draft = start_draft(client, trunk, ERIKA)
    response = client.post(step_url(draft, "benutzeranmeldung"), login_data(username))
    assert response.status_code == 200, "the wizard accepted it"
    return dict(response.context["form"].errors)


def wizard_number_errors(client, trunk, number: str) -> dict[str, list[str]]:
    draft = start_draft(client, trunk, ERIKA)
    response = client.post(step_url(draft, "benutzeranmeldung"), login_data("erika.m"))
    assert response.status_code == 302
    response = client.post(step_url(draft, "rufnummer"), {"number": number})
    assert response.status_code == 200, "the wizard accepted it"
    return dict(response.context["form"].errors)


def import_errors(trunk, **values: str) -> list[tuple[str, str]]:
    return errors(check(trunk, person(**{**ERIKA, **values})), 2)


def api_errors(alice, trunk, **fields: str) -> list[tuple[str, str, str, str]]:
    item = new_workplace(trunk, **{**ERIKA, **fields})
    response = order_items(key_for(alice), item)
    assert response.status_code == 422, response.content
    return [
        (e["field"], e["message"], e["code"], e["pointer"])
        for e in json.loads(response.content)["errors"]
    ]


@pytest.mark.parametrize(("username", "code"), USERNAMES)
def test_a_username_is_refused_alike_by_wizard_import_and_api(
    alice, alice_client, trunk, taken, username, code
):
    (message,) = wizard_username_errors(alice_client, trunk, username)["username"]

    assert import_errors(trunk, username=username) == [("username", message)]
    assert api_errors(alice, trunk, username=username) == [
        ("username", message, code, "/items/0/username")
    ]
    assert not SetupDraft.objects.filter(created_by=alice, status=SetupDraft.Status.IN_CART)


@pytest.mark.parametrize(("number", "code"), NUMBERS)
def test_a_number_is_refused_alike_by_wizard_import_and_api(
    alice, alice_client, trunk, taken, number, code
):
    (message,) = wizard_number_errors(alice_client, trunk, number)["number"]

    assert import_errors(trunk, number=number) == [("number", message)]
    assert api_errors(alice, trunk, number=number) == [("number", message, code, "/items/0/number")]


@pytest.mark.parametrize(("number", "code"), WRITTEN_NUMBERS)
def test_a_written_number_is_refused_alike_by_import_and_api(alice, trunk, number, code):
    """The wizard offers a list, so only the two doors that take typed numbers are asked."""
    ((field, message),) = import_errors(trunk, number=number)

    assert field == "number"
    assert api_errors(alice, trunk, number=number) == [("number", message, code, "/items/0/number")]
