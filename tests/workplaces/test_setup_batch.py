"""The setup service's batch lookups answer exactly as its one-at-a-time checks do."""

from __future__ import annotations

import pytest
from django.utils import translation

from portal.models import User
from portal.policy import Actor
from tests.wizard_helpers import USER_DATA
from workplaces.models import Workplace
from workplaces.services import setup

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _german():
    with translation.override("de"):
        yield


@pytest.fixture
def holders(alice, trunk):
    """A login, a workplace and a draft, each holding a username; two of them a number."""
    first, second = trunk.numbers.order_by("e164")[:2]
    User.objects.create_user(username="Anna.Login", password="x")
    Workplace.objects.create(trunk=trunk, username="bernd.platz", number=first, first_name="B")
    draft = setup.start_draft(actor=Actor.for_admin(alice), trunk=trunk, user_data=USER_DATA)
    setup.reserve_username(
        actor=Actor.for_admin(draft.created_by),
        draft=draft,
        username="carla.entwurf",
        contacts={"auth_email": "c@example.com", "without_mobile": True},
    )
    setup.reserve_number(actor=Actor.for_admin(draft.created_by), draft=draft, number=second)
    return first, second


def test_taken_usernames_finds_logins_workplaces_and_drafts_ignoring_case(holders):
    names = ["anna.login", "BERND.PLATZ", "carla.entwurf", "dora.frei"]
    assert setup.taken_usernames(names) == {"anna.login", "bernd.platz", "carla.entwurf"}


def test_taken_usernames_asks_in_batches_of_a_fixed_size(holders, django_assert_num_queries):
    names = [f"name{i:05d}" for i in range(setup.BATCH_SIZE * 2)] + ["carla.entwurf"]
    # one query per batch: the claims hold every holder's name
    with django_assert_num_queries(3):
        assert setup.taken_usernames(names) == {"carla.entwurf"}


def test_the_lookup_answers_asked_names_without_a_query_and_others_from_the_database(
    holders, django_assert_num_queries
):
    lookup = setup.UsernameLookup(["anna.login", "dora.frei"])
    with django_assert_num_queries(0):
        assert "anna.login" in lookup
        assert "ANNA.LOGIN" in lookup
        assert "dora.frei" not in lookup
    with django_assert_num_queries(1):
        assert "carla.entwurf" in lookup


@pytest.mark.parametrize("name", ["bernd.platz", "carla.entwurf", "dora.frei", "ab"])
def test_check_username_says_the_same_with_a_lookup(holders, name):
    lookup = setup.UsernameLookup([name])
    assert setup.check_username(username=name, taken=lookup) == setup.check_username(username=name)


def test_a_suggestion_with_a_lookup_skips_names_taken_in_the_system_and_the_batch(holders):
    lookup = setup.UsernameLookup(["bernd.platz"])
    suggestion = setup.suggest_username(first_name="Bernd", last_name="Platz", taken=lookup)
    assert suggestion == "bernd.platz2"
    also = {"bernd.platz2"}
    assert (
        setup.suggest_username(first_name="Bernd", last_name="Platz", also_taken=also, taken=lookup)
        == "bernd.platz3"
    )


def test_the_number_book_answers_as_the_database_without_a_query(
    holders, trunk, other_trunk, django_assert_num_queries
):
    assigned, reserved = holders
    free = trunk.numbers.free().order_by("e164").first()
    foreign = other_trunk.numbers.first()
    values = [assigned.e164, reserved.e164, free.e164, foreign.e164, "+49228999"]
    expected = [setup.check_number(trunk=trunk, e164=v) for v in values]
    with django_assert_num_queries(2):
        book = setup.NumberBook.of(trunk)
    with django_assert_num_queries(0):
        answers = [setup.check_number(trunk=trunk, e164=v, book=book) for v in values]
    assert [a.errors for a in answers] == [e.errors for e in expected]
    assert answers[2].values["number"].pk == free.pk
    assert answers[2].values["number"].national == free.national


def test_next_free_numbers_are_the_lowest_free_ones_with_or_without_the_book(holders, trunk):
    book = setup.NumberBook.of(trunk)
    skip = {trunk.numbers.free().order_by("e164").first().e164}
    from_db = setup.next_free_numbers(trunk=trunk, count=3, also_taken=skip)
    from_book = setup.next_free_numbers(trunk=trunk, count=3, also_taken=skip, book=book)
    assert [n.e164 for n in from_db] == [n.e164 for n in from_book]
    assert len(from_db) == 3
    held = {n.e164 for n in holders} | skip
    assert not held & {n.e164 for n in from_db}
    assert setup.next_free_number(trunk=trunk).e164 == min(
        trunk.numbers.free().values_list("e164", flat=True)
    )


def test_more_free_numbers_than_the_trunk_has_gives_all_it_has(trunk):
    book = setup.NumberBook.of(trunk)
    total = trunk.numbers.count()
    assert len(setup.next_free_numbers(trunk=trunk, count=total + 5, book=book)) == total
    assert len(setup.next_free_numbers(trunk=trunk, count=total + 5)) == total


def test_the_candidates_are_the_names_a_suggestion_tries_in_order(holders):
    assert setup.username_candidates(first_name="Bernd", last_name="Platz", count=3) == [
        "bernd.platz",
        "bernd.platz2",
        "bernd.platz3",
    ]
    assert setup.username_candidates(first_name="", last_name="", count=3) == []
    long = "a" * 70
    assert [len(n) for n in setup.username_candidates(first_name=long, last_name="", count=2)] == [
        64,
        64,
    ]


@pytest.mark.parametrize("value", ["\x00", "+49\x00", "0228 181234-13", "+49 228"])
def test_a_value_no_number_row_can_have_is_refused_without_asking_the_database(
    trunk, value, django_assert_num_queries
):
    with django_assert_num_queries(0):
        checked = setup.check_number(trunk=trunk, e164=value)
    assert checked.errors == {"number": ["Diese Rufnummer gehört nicht zu diesem SIP-Trunk."]}
