"""Two front doors reaching for one username at once, in different case: the claims table's
case-insensitive unique name decides, whichever door comes first.

The first door writes its claim and holds its transaction open while the second checks the
name (still free to it), writes its own claim and waits on the unique index; when the first
commits, the second is refused. Each door runs in its own thread with its own connection;
SQLite serialises writers and proves nothing here, hence ``postgres``.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import translation

from portal.errors import Refusal
from portal.models import User, UsernameClaim
from portal.policy import Actor
from tests.listimport.test_check import check, person
from tests.wizard_helpers import USER_DATA
from workplaces.listimport.service import add_rows_to_cart
from workplaces.models import SetupDraft
from workplaces.services import setup

TAKEN = "Der Benutzername „max.muster“ ist bereits vergeben. Bitte wählen Sie einen anderen."


def back_office(world):
    """Staff create a login by hand (any case is allowed there)."""
    try:
        User.objects.create_user(username="Max.Muster", password="Secret-Pass-1")
    except IntegrityError:
        return "refused"
    return "won"


def wizard(world):
    """Step 3, Benutzeranmeldung: the draft reserves the name."""
    draft = SetupDraft.objects.select_related("created_by").get(pk=world["draft"])
    try:
        setup.reserve_username(
            actor=Actor.for_admin(draft.created_by),
            draft=draft,
            username="max.muster",
            contacts={"auth_email": "max@example.com", "without_mobile": True},
        )
    except Refusal as error:
        assert error.errors == {"username": [TAKEN]}
        return "refused"
    return "won"


def list_import(world):
    """The list import's cart step, with a row checked while the name was free."""
    with translation.override("de"):
        result = add_rows_to_cart(admin=world["alice"], trunk=world["trunk"], rows=world["rows"])
    if result["added"] == 1:
        return "won"
    [row] = result["rows"]
    assert ["username", TAKEN] in row["errors"]
    return "refused"


def race(first, second, world) -> list[str]:
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}
    failures: list[BaseException] = []

    def holds_open():
        try:
            with transaction.atomic():
                outcomes["first"] = first(world)
                barrier.wait(timeout=30)
                time.sleep(0.5)  # the second door checks and waits on the index meanwhile
        except BaseException as exc:
            failures.append(exc)
            barrier.abort()
        finally:
            connection.close()

    def comes_second():
        try:
            barrier.wait(timeout=30)
            outcomes["second"] = second(world)
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=holds_open), threading.Thread(target=comes_second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a door hung"
    if failures:
        raise failures[0]
    return [outcomes["first"], outcomes["second"]]


@pytest.fixture
def world(transactional_db, alice, trunk):
    with translation.override("de"):
        draft = setup.start_draft(actor=Actor.for_admin(alice), trunk=trunk, user_data=USER_DATA)
        rows = [r for r in check(trunk, person(username="max.muster"))["rows"] if "values" in r]
    assert len(rows) == 1
    return {"alice": alice, "trunk": trunk, "draft": draft.pk, "rows": rows}


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("first", "second"),
    [
        (back_office, wizard),
        (wizard, back_office),
        (back_office, list_import),
        (wizard, list_import),
    ],
    ids=[
        "back-office-then-wizard",
        "wizard-then-back-office",
        "back-office-then-import",
        "wizard-then-import",
    ],
)
def test_of_two_front_doors_claiming_one_name_in_different_case_exactly_one_wins(
    world, first, second
):
    assert race(first, second, world) == ["won", "refused"]
    [claim] = UsernameClaim.objects.named("MAX.MUSTER")
    holders = {
        back_office: claim.user_id is not None,
        wizard: claim.draft_id == world["draft"],
        list_import: claim.draft_id is not None and claim.draft_id != world["draft"],
    }
    assert holders[first]
    assert User.objects.filter(username__iexact="max.muster").count() == (first is back_office)
    assert SetupDraft.objects.filter(username__iexact="max.muster").count() == (
        first is not back_office
    )
