"""One error type for refusals: a code, the field, the German message and the parameters."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest
import time_machine
from django.core.exceptions import ValidationError

from orders.services import cart_of, place_order
from portal.errors import CODES, GENERAL, Problem, Refusal
from portal.policy import Actor
from tests.manage_helpers import day
from tests.services.helpers import USER_DATA, active_workplace, draft_in_cart
from workplaces.listimport.files import read_upload
from workplaces.models import Workplace
from workplaces.services import Checked, lifecycle, setup

ROOT = Path(__file__).resolve().parents[2]
#: Where the project's own code raises: every code found there must be listed.
SOURCES = (
    "portal",
    "trunks",
    "catalog",
    "workplaces",
    "orders",
    "notifications",
    "provisioning",
    "webhooks",
)
CODE_PATTERNS = (
    re.compile(r'\bcode="([a-z0-9_]+)"'),
    re.compile(r'\b(?:Refusal|_refusal)\(\s*"([a-z0-9_]+)"'),
    re.compile(r'\.(?:add|replace)\(\s*[^,()]+,\s*[^()]*?code="([a-z0-9_]+)"', re.S),
)


def _raised_codes() -> set[str]:
    found: set[str] = set()
    for package in SOURCES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            text = path.read_text()
            for pattern in CODE_PATTERNS:
                found.update(pattern.findall(text))
    return found


def test_every_code_raised_is_listed():
    raised = _raised_codes()
    assert len(raised) > 40  # the patterns still find the raises
    assert sorted(raised - CODES) == []


def test_an_unlisted_code_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown refusal code"):
        Refusal("no_such_code", "Nein.")


def test_a_refusal_carries_code_field_message_and_plain_params():
    refusal = Refusal(
        "minimum_term", "Erst später.", field="package", params={"earliest": day(30).date()}
    )
    assert (refusal.code, refusal.message, str(refusal)) == (
        "minimum_term",
        "Erst später.",
        "Erst später.",
    )
    assert refusal.errors == {"package": ["Erst später."]}
    assert refusal.as_list() == [
        {
            "code": "minimum_term",
            "field": "package",
            "message": "Erst später.",
            "params": {"earliest": "2026-04-01"},
        }
    ]
    json.dumps(refusal.as_list())


def test_every_message_of_a_validator_keeps_its_code():
    checked = Checked()
    checked.add_error(
        "username",
        ValidationError(
            [
                ValidationError("Zu kurz.", code="username_short"),
                ValidationError(
                    "Nur %(allowed)s.", code="username_characters", params={"allowed": "a-z"}
                ),
            ]
        ),
    )
    with pytest.raises(Refusal) as caught:
        checked.raise_if_errors()
    assert [(p.code, p.field, p.message, p.params) for p in caught.value.problems] == [
        ("username_short", "username", "Zu kurz.", {}),
        ("username_characters", "username", "Nur a-z.", {"allowed": "a-z"}),
    ]


# --- the families -------------------------------------------------------------------------


def test_user_data_problems_carry_the_validators_codes():
    checked = setup.check_user_data(data={"first_name": "", "postcode": "5311", "last_name": "M"})
    codes = {p.field: p.code for p in checked.problems}
    assert codes["first_name"] == "required"
    assert codes["postcode"] == "postcode"


def test_username_problems(alice, trunk):
    short = setup.check_username(username="abc").problems
    assert [(p.code, p.field) for p in short] == [("username_short", "username")]
    draft_in_cart(alice, trunk, username="joerg.mueller")
    [taken] = setup.check_username(username="joerg.mueller").problems
    assert (taken.code, taken.field, taken.params) == (
        "username_taken",
        "username",
        {"name": "joerg.mueller"},
    )
    assert "bereits vergeben" in taken.message


def test_contacts_problems():
    checked = setup.check_contacts(
        auth_email="a@example.com",
        auth_email_repeat="b@example.com",
        mobile="",
        without_mobile=False,
    )
    assert {(p.field, p.code) for p in checked.problems} == {
        ("auth_email_repeat", "email_mismatch"),
        ("mobile", "mobile_required"),
    }


def test_number_problems(alice, bob, trunk, other_trunk):
    draft = draft_in_cart(alice, trunk, username="joerg.mueller")
    other = setup.start_draft(actor=Actor.for_admin(bob), trunk=trunk, user_data=USER_DATA)
    with pytest.raises(Refusal) as caught:
        setup.reserve_number(
            actor=Actor.for_admin(other.created_by), draft=other, number=draft.number
        )
    problem = caught.value.problems[0]
    assert (problem.code, problem.field, problem.params) == (
        "number_held",
        "number",
        {"number": draft.number.e164},
    )
    [foreign] = setup.check_number(trunk=trunk, e164=other_trunk.numbers.first().e164).problems
    assert (foreign.code, foreign.field) == ("foreign_number", "number")


def test_quota_problem(alice, trunk):
    trunk.workplace_quota = 1
    trunk.save(update_fields=["workplace_quota"])
    draft_in_cart(alice, trunk, username="joerg.mueller")
    [problem] = setup.check_trunk(trunk=trunk, actor=Actor.for_admin(alice)).problems
    assert (problem.code, problem.field, problem.params) == (
        "quota_exhausted",
        "trunk",
        {"trunk": "Zentrale Bonn"},
    )


def test_lifecycle_problems(alice, trunk, packages):
    with time_machine.travel(day(0)):
        workplace = active_workplace(
            alice, trunk, username="joerg.mueller", package=packages["konferenz-premium"]
        )
        with pytest.raises(Refusal) as caught:
            lifecycle.change_package(
                workplace=workplace, package=None, actor=Actor.for_admin(alice), today=day(1).date()
            )
    problem = caught.value.problems[0]
    assert (problem.code, problem.field) == ("minimum_term", "package")
    assert problem.params == {"earliest": "2026-04-01"}
    assert "frühestens am 01.04.2026" in problem.message
    Workplace.objects.filter(pk=workplace.pk).update(status=Workplace.Status.DELETED)
    with pytest.raises(Refusal) as caught:
        lifecycle.update_workplace(workplace=workplace, data={}, actor=Actor.for_admin(alice))
    assert caught.value.code == "not_in_service"
    assert caught.value.problems[0].params == {"username": "joerg.mueller"}


def test_order_problems_and_no_value_error(alice, trunk):
    with pytest.raises(Refusal) as caught:
        place_order(actor=Actor.for_admin(alice), token="not-a-token")
    assert (caught.value.code, caught.value.problems[0].field) == ("cart_changed", GENERAL)
    with pytest.raises(Refusal) as caught:
        place_order(actor=Actor.for_admin(alice), token=uuid.uuid4())
    assert caught.value.code == "cart_changed"
    with pytest.raises(Refusal) as caught:
        place_order(actor=Actor.for_admin(alice), token=cart_of(alice).token)
    assert caught.value.code == "cart_empty"


def test_import_file_problems():
    with pytest.raises(Refusal) as caught:
        read_upload("liste.csv", b"")
    assert (caught.value.code, caught.value.problems[0].field) == ("file_empty", "file")
    assert caught.value.message == "Die Datei ist leer."


def test_a_problem_is_plain_data():
    problem = Problem(code="not_found", message="Nicht gefunden.")
    assert problem.as_dict() == {
        "code": "not_found",
        "field": GENERAL,
        "message": "Nicht gefunden.",
        "params": {},
    }
