"""The composite command: one workplace into the cart from plain values, all or nothing."""

from __future__ import annotations

import pytest

from catalog.models import Package
from portal.errors import GENERAL, Refusal
from portal.models import UsernameClaim
from portal.policy import Actor
from tests.services.helpers import CONTACTS, USER_DATA, draft_in_cart
from trunks.models import Number
from workplaces.models import SetupDraft
from workplaces.services import setup

pytestmark = pytest.mark.django_db


def put(admin, trunk, **kwargs):
    arguments = {"person": USER_DATA, "contacts": CONTACTS} | kwargs
    return setup.put_in_cart(actor=Actor.for_admin(admin), trunk=trunk, **arguments)


def refused(admin, trunk, **kwargs) -> Refusal:
    with pytest.raises(Refusal) as caught:
        put(admin, trunk, **kwargs)
    return caught.value


def nothing_left_behind(trunk) -> None:
    assert not SetupDraft.objects.filter(trunk=trunk).exists()
    assert not UsernameClaim.objects.filter(draft__isnull=False).exists()
    assert not trunk.numbers.held().exists()


def test_it_fills_in_the_defaults_like_the_wizard(alice, trunk):
    first_free = setup.next_free_number(trunk=trunk)

    draft = put(alice, trunk)

    draft.refresh_from_db()
    assert draft.status == SetupDraft.Status.IN_CART
    assert draft.username == "joerg.mueller"  # the wizard's suggestion
    assert draft.number == first_free
    assert (draft.package, draft.package_chosen) == (None, True)
    assert (draft.created_by, draft.customer_id) == (alice, trunk.customer_id)
    assert (draft.auth_email, draft.without_mobile, draft.mobile) == (
        "joerg@example.com",
        True,
        "",
    )
    assert UsernameClaim.objects.get(draft=draft).name == "joerg.mueller"


def test_it_takes_explicit_values_a_national_number_and_a_package_code(alice, trunk, packages):
    draft = put(
        alice,
        trunk,
        contacts={"auth_email": "j@example.com", "mobile": "0170 1234567"},
        username="j.mueller",
        number="0228 181234-42",
        package="konferenz-plus",
    )

    draft.refresh_from_db()
    assert draft.username == "j.mueller"
    assert draft.number.e164 == "+4922818123442"
    assert draft.package == packages["konferenz-plus"]
    assert (draft.mobile, draft.without_mobile) == ("+491701234567", False)


def test_it_takes_an_e164_number(alice, trunk):
    assert put(alice, trunk, number="+4922818123450").number.e164 == "+4922818123450"


def test_it_refuses_a_taken_username(alice, bob, trunk):
    draft_in_cart(bob, trunk, username="schon.da")

    error = refused(alice, trunk, username="schon.da")

    assert [(p.code, p.field) for p in error.problems] == [("username_taken", "username")]
    assert SetupDraft.objects.filter(created_by=alice).count() == 0


def test_it_refuses_a_held_number(alice, bob, trunk):
    held = draft_in_cart(bob, trunk, username="schon.da").number

    error = refused(alice, trunk, number=held.e164)

    assert [(p.code, p.field) for p in error.problems] == [("number_held", "number")]
    assert error.message == (
        f"Die Rufnummer {held.national} ist bereits vergeben. Bitte wählen Sie eine andere."
    )


def test_it_refuses_when_the_quota_is_used_up(alice, trunk):
    trunk.workplace_quota = 1
    trunk.save(update_fields=["workplace_quota"])
    put(alice, trunk, username="der.erste")

    error = refused(alice, trunk, username="der.zweite")

    assert [(p.code, p.field) for p in error.problems] == [("quota_exhausted", "trunk")]
    assert SetupDraft.objects.filter(trunk=trunk).count() == 1


def test_it_refuses_an_unknown_package_code(alice, trunk, packages):
    packages["konferenz-basic"].active = False
    packages["konferenz-basic"].save(update_fields=["active"])

    for code in ("gold", "konferenz-basic", "arbeitsplatz"):
        error = refused(alice, trunk, package=code)
        assert [(p.code, p.field) for p in error.problems] == [("unknown_package", "package")]
        assert error.params == {"package": code}
    nothing_left_behind(trunk)


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("0228 181234-1x", "number_format"),
        ("+1 202 555 0100", "number_country"),
        ("0221 98765-13", "foreign_number"),
        ("77", "extension_prefix"),
    ],
)
def test_it_refuses_a_malformed_or_foreign_number(alice, trunk, written, code):
    error = refused(alice, trunk, number=written)

    assert [(p.code, p.field) for p in error.problems] == [(code, "number")]
    nothing_left_behind(trunk)


def test_a_trunk_of_another_customer_is_not_found(charlie, trunk):
    error = refused(charlie, trunk)

    assert error.codes == ["not_found"]
    nothing_left_behind(trunk)


def test_it_reports_every_problem_at_once(alice, bob, trunk):
    draft_in_cart(bob, trunk, username="schon.da")

    error = refused(
        alice,
        trunk,
        person={**USER_DATA, "postcode": "5311"},
        contacts={"auth_email": "kein-at", "mobile": ""},
        username="schon.da",
        number="0228 999",
        package="gold",
    )

    assert {p.field for p in error.problems} >= {
        "postcode",
        "auth_email",
        "username",
        "number",
        "package",
    }
    assert GENERAL not in error.errors


def test_a_refusal_under_lock_leaves_no_draft_no_claim_and_no_reservation(alice, trunk):
    """The number is taken between the checks and the reservation: nothing stays behind."""
    number = Number.objects.by_e164(trunk, "+4922818123410")
    book = setup.NumberBook.of(trunk)  # read before the number was taken: it says "free"
    draft_in_cart(alice, trunk, username="war.schneller")  # takes +49...10, the first free
    before = SetupDraft.objects.count()

    with pytest.raises(Refusal) as caught:
        put(alice, trunk, username="zu.spaet", number=number.e164, book=book)

    assert caught.value.codes == ["number_held"]
    assert SetupDraft.objects.count() == before
    assert not UsernameClaim.objects.named("zu.spaet").exists()
    assert list(trunk.numbers.held()) == [number]


def test_lookups_by_e164_and_by_package_code(trunk, other_trunk, packages):
    assert Number.objects.by_e164(trunk, "+4922818123413").extension == "13"
    assert Number.objects.by_e164(other_trunk, "+4922818123413") is None
    assert Number.objects.by_e164(trunk, "0228 181234-13") is None
    assert Number.objects.by_e164(trunk, "+49' OR 1=1") is None
    assert Package.objects.orderable_by_code("konferenz-plus") == packages["konferenz-plus"]
    assert Package.objects.orderable_by_code("arbeitsplatz") is None
    assert Package.objects.orderable_by_code("") is None
