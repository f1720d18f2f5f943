"""The wizard's draft-step commands take the actor and ask the policy themselves."""

from __future__ import annotations

import pytest

from portal.errors import Refusal
from portal.policy import Actor
from tests.services.helpers import CONTACTS, USER_DATA
from workplaces.models import SetupDraft
from workplaces.services import setup

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(alice, trunk):
    return setup.start_draft(actor=Actor.for_admin(alice), trunk=trunk, user_data=USER_DATA)


def commands(trunk):
    number = setup.next_free_number(trunk=trunk)
    return {
        "save_user_data": lambda actor, d: setup.save_user_data(
            actor=actor, draft=d, user_data=USER_DATA
        ),
        "change_trunk": lambda actor, d: setup.change_trunk(actor=actor, draft=d, trunk=trunk),
        "reserve_username": lambda actor, d: setup.reserve_username(
            actor=actor, draft=d, username="fremder.name", contacts=CONTACTS
        ),
        "reserve_number": lambda actor, d: setup.reserve_number(
            actor=actor, draft=d, number=number
        ),
        "choose_package": lambda actor, d: setup.choose_package(actor=actor, draft=d, package=None),
        "release_draft": lambda actor, d: setup.release_draft(actor=actor, draft=d),
        "check_username_while_typing": lambda actor, d: setup.check_username_while_typing(
            actor=actor, username="fremder.name", draft=d
        ),
    }


def test_another_admin_cannot_touch_a_draft(draft, bob, charlie, trunk):
    for intruder in (bob, charlie):  # another admin of the customer, another customer's admin
        for command_name, command in commands(trunk).items():
            with pytest.raises(Refusal) as caught:
                command(Actor.for_admin(intruder), draft)
            assert caught.value.codes == ["not_found"], command_name
    after = SetupDraft.objects.get(pk=draft.pk)
    assert (after.status, after.username, after.number) == (SetupDraft.Status.OPEN, None, None)


def test_the_own_admin_runs_every_draft_step(draft, alice, trunk):
    actor = Actor.for_admin(alice)
    setup.reserve_username(actor=actor, draft=draft, username="eigener.name", contacts=CONTACTS)
    number = setup.next_free_number(trunk=trunk)
    setup.reserve_number(actor=actor, draft=draft, number=number.e164)
    setup.choose_package(actor=actor, draft=draft, package=None)
    draft.refresh_from_db()
    assert (draft.username, draft.number, draft.package_chosen) == ("eigener.name", number, True)
    setup.release_draft(actor=actor, draft=draft)
    draft.refresh_from_db()
    assert (draft.status, draft.username, draft.number) == (SetupDraft.Status.DISCARDED, None, None)


def test_a_draft_cannot_be_started_on_another_customers_trunk(charlie, trunk):
    with pytest.raises(Refusal) as caught:
        setup.start_draft(actor=Actor.for_admin(charlie), trunk=trunk, user_data=USER_DATA)
    assert caught.value.codes == ["not_found"]
    assert not SetupDraft.objects.exists()


@pytest.mark.parametrize(
    ("posted", "code"),
    [
        ("", "required"),
        ("0228 181234-10", "number_format"),
        ("+4922198765", "foreign_number"),
    ],
)
def test_reserve_number_checks_the_posted_text_once(draft, alice, posted, code):
    with pytest.raises(Refusal) as caught:
        setup.reserve_number(actor=Actor.for_admin(alice), draft=draft, number=posted)
    assert [(p.code, p.field) for p in caught.value.problems] == [(code, "number")]
