"""One home per fact: the field limits, the steps' labels, "is this number held" and "is this
username taken" are each defined once, and every caller gets the same answer."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation

from orders.services import cart_of, place_order
from portal.errors import Refusal
from portal.models import User, UsernameClaim
from portal.policy import Actor
from tests.conftest import client_for
from tests.listimport.test_check import check, error, errors, person
from tests.wizard_helpers import USER_DATA, complete_draft
from workplaces.forms import ContactFields, UserDataForm
from workplaces.models import ImportRun, SetupDraft, Workplace, field_limit
from workplaces.services import lifecycle, setup
from workplaces.services.setup import drafts
from workplaces.validators import MAX_USERNAME_LENGTH
from workplaces.wizard.forms import LoginDataForm
from workplaces.wizard.steps import STEPS

pytestmark = pytest.mark.django_db

PERSON = ("first_name", "last_name", "street", "house_number", "postcode", "city", "email")
CONTACTS = ("auth_email", "mobile")


@pytest.fixture(autouse=True)
def _german():
    with translation.override("de"):
        yield


def too_long(field: str) -> str:
    """A value one character longer than the model takes."""
    return "a" * (field_limit(field) + 1)


# --- field limits -----------------------------------------------------------------------------


def test_the_forms_limits_are_the_models():
    forms = [UserDataForm(), ContactFields(), LoginDataForm(draft=SetupDraft())]
    fields = {name: f for form in forms for name, f in form.fields.items()}
    for name in (*PERSON, *CONTACTS, "username"):
        assert fields[name].widget.attrs["maxlength"] == str(field_limit(name)), name
    assert fields["auth_email_repeat"].widget.attrs["maxlength"] == str(field_limit("auth_email"))
    assert field_limit("username") == MAX_USERNAME_LENGTH
    # typed with spaces and brackets: the form and the model take the same 30 characters
    assert field_limit("mobile") == 30


@pytest.mark.parametrize("field", PERSON)
def test_the_service_refuses_one_character_more_than_the_model_takes(field):
    checked = setup.check_user_data(data={**USER_DATA, field: too_long(field)})
    assert checked.errors[field] == [f"Bitte höchstens {field_limit(field)} Zeichen."]


def test_the_service_refuses_an_authentication_address_longer_than_the_model_takes():
    checked = setup.check_contacts(
        auth_email=too_long("auth_email"), mobile="", without_mobile=True
    )
    assert checked.errors["auth_email"] == [f"Bitte höchstens {field_limit('auth_email')} Zeichen."]


@pytest.mark.parametrize("field", [*PERSON, "auth_email"])
def test_the_import_refuses_one_character_more_than_the_model_takes(trunk, field):
    result = check(trunk, person(**{field: too_long(field)}))
    assert error(result, 2, field) == f"Bitte höchstens {field_limit(field)} Zeichen."


def test_the_import_takes_names_as_long_as_the_model_takes(trunk):
    longest = {name: "a" * field_limit(name) for name in ("first_name", "last_name", "city")}
    result = check(trunk, person(**longest))
    assert not [e for e in errors(result, 2) if e[0] in longest]


# --- the steps' labels ------------------------------------------------------------------------


def test_the_steps_show_the_labels_the_draft_names_its_parts_by():
    assert [str(step.label) for step in STEPS] == [
        *(str(label) for label in SetupDraft.PARTS.values()),
        "Warenkorb",
    ]
    assert [step.part for step in STEPS[:-1]] == list(SetupDraft.PARTS)


def test_the_compact_stepper_and_the_incomplete_message_use_the_same_label(alice_client, trunk):
    draft = SetupDraft.objects.create(
        customer=trunk.customer, created_by=User.objects.get(username="alice"), trunk=trunk
    )
    assert draft.part_label("user_data") == str(STEPS[1].label) == "Benutzerdaten"
    with pytest.raises(Refusal, match=r"unvollständig \(Benutzerdaten\)"):
        setup.add_to_cart(draft=draft, actor=Actor.for_admin(draft.created_by))


# --- is this number held ----------------------------------------------------------------------


def draft_holding(alice, trunk, number, username="held.draft"):
    draft = setup.start_draft(actor=Actor.for_admin(alice), trunk=trunk, user_data=USER_DATA)
    setup.reserve_username(
        actor=Actor.for_admin(draft.created_by),
        draft=draft,
        username=username,
        contacts={"auth_email": "a@example.com"},
    )
    setup.reserve_number(actor=Actor.for_admin(draft.created_by), draft=draft, number=number)
    return draft


def test_a_number_is_held_by_an_open_draft_but_not_for_the_draft_itself(alice, trunk):
    number = trunk.numbers.free().order_by("e164").first()
    assert not setup.number_is_held(number)
    draft = draft_holding(alice, trunk, number)
    assert setup.number_is_held(number)
    assert not setup.number_is_held(number, draft=draft)
    other = setup.start_draft(actor=Actor.for_admin(alice), trunk=trunk, user_data=USER_DATA)
    assert setup.number_is_held(number, draft=other)
    assert number not in trunk.numbers.free()
    assert number in trunk.numbers.held()


def test_a_number_is_held_by_a_cart_line(alice, alice_client, trunk):
    draft = complete_draft(alice_client, trunk, username="im.warenkorb")
    assert draft.status == SetupDraft.Status.IN_CART
    assert setup.number_is_held(draft.number)
    assert draft.number.e164 in setup.NumberBook.of(trunk).held
    assert draft.number not in trunk.numbers.assigned()


def test_a_number_is_held_by_a_pending_order_and_an_active_workplace(alice, alice_client, trunk):
    draft = complete_draft(alice_client, trunk, username="bestellt.jetzt")
    number = draft.number
    place_order(actor=Actor.for_admin(alice), token=cart_of(alice).token)
    workplace = Workplace.objects.get(username="bestellt.jetzt")
    assert workplace.status == Workplace.Status.PENDING
    assert setup.number_is_held(number)
    assert number in trunk.numbers.assigned()
    lifecycle.activate_workplace(workplace=workplace)
    assert setup.number_is_held(number)
    assert number not in trunk.numbers.free()


def test_a_released_number_is_free_again(alice, trunk):
    number = trunk.numbers.free().order_by("e164").first()
    draft = draft_holding(alice, trunk, number)
    setup.release_draft(actor=Actor.for_admin(draft.created_by), draft=draft)
    assert not setup.number_is_held(number)
    assert number in trunk.numbers.free()


# --- is this username taken: the claims -------------------------------------------------------


def claims() -> dict[str, str]:
    """Each claimed name and what holds it."""
    found = {}
    for claim in UsernameClaim.objects.all():
        holder = "workplace" if claim.workplace_id else "draft" if claim.draft_id else "user"
        found[claim.name] = holder
    return found


def test_admins_staff_workplaces_and_drafts_each_claim_their_name(alice, trunk):
    User.objects.create_user(username="Staff.Person", password="x", is_staff=True)
    Workplace.objects.create(trunk=trunk, username="bernd.platz")
    draft_holding(alice, trunk, trunk.numbers.free().first(), username="carla.entwurf")
    assert claims() == {
        "alice": "user",
        "Staff.Person": "user",
        "bernd.platz": "workplace",
        "carla.entwurf": "draft",
    }
    for name in ("ALICE", "staff.person", "Bernd.Platz", "carla.entwurf"):
        assert setup.username_taken(name), name
    assert not setup.username_taken("dora.frei")


def test_a_draft_renaming_and_giving_back_its_name_moves_its_claim(alice, trunk):
    draft = draft_holding(alice, trunk, trunk.numbers.free().first(), username="erster.name")
    setup.reserve_username(
        actor=Actor.for_admin(draft.created_by),
        draft=draft,
        username="zweiter.name",
        contacts={"auth_email": "a@example.com"},
    )
    assert claims()["zweiter.name"] == "draft"
    assert "erster.name" not in claims()
    assert not setup.username_taken("zweiter.name", draft=draft)
    setup.release_draft(actor=Actor.for_admin(draft.created_by), draft=draft)
    assert "zweiter.name" not in claims()


def test_an_expired_draft_gives_back_its_claim(alice, trunk):
    draft_holding(alice, trunk, trunk.numbers.free().first(), username="bald.frei")
    later = timezone.now() + dt.timedelta(days=30)
    assert setup.expire_drafts(now=later) == 1
    assert not setup.username_taken("bald.frei")


def test_ordering_and_activating_hand_the_claim_to_the_workplace_and_its_login(
    alice, alice_client, trunk
):
    complete_draft(alice_client, trunk, username="lang.bleibt")
    place_order(actor=Actor.for_admin(alice), token=cart_of(alice).token)
    workplace = Workplace.objects.get(username="lang.bleibt")
    assert UsernameClaim.objects.get(name="lang.bleibt").workplace == workplace
    lifecycle.activate_workplace(workplace=workplace)
    workplace.refresh_from_db()
    assert workplace.user.username == "lang.bleibt"
    assert UsernameClaim.objects.named("lang.bleibt").count() == 1
    assert setup.username_taken("LANG.BLEIBT")


def test_a_workplace_created_for_an_existing_login_takes_over_its_claim(trunk):
    login = User.objects.create_user(username="schon.da", password="x")
    workplace = Workplace.objects.create(trunk=trunk, username="schon.da", user=login)
    claim = UsernameClaim.objects.get(name="schon.da")
    assert (claim.workplace, claim.user) == (workplace, None)


def test_the_database_refuses_a_name_held_in_another_case(alice, trunk):
    draft_holding(alice, trunk, trunk.numbers.free().first(), username="max.muster")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(username="Max.Muster", password="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        Workplace.objects.create(trunk=trunk, username="MAX.muster")


def test_renaming_an_admin_moves_the_claim(alice):
    alice.username = "alice.neu"
    alice.save()
    assert claims()["alice.neu"] == "user"
    assert not setup.username_taken("alice")


def test_a_reservation_refused_by_the_constraint_says_the_name_is_taken(alice, trunk, monkeypatch):
    """The check saw the name free; the claim written meanwhile decides (as in a race)."""
    draft = setup.start_draft(actor=Actor.for_admin(alice), trunk=trunk, user_data=USER_DATA)
    real = setup.check_username

    def sees_it_free(**kwargs):
        checked = real(**kwargs)
        User.objects.create_user(username="Zur.Gleichen.Zeit", password="x")
        return checked

    monkeypatch.setattr(drafts, "check_username", sees_it_free)
    with pytest.raises(Refusal) as refused:
        setup.reserve_username(
            actor=Actor.for_admin(draft.created_by),
            draft=draft,
            username="zur.gleichen.zeit",
            contacts={"auth_email": "a@example.com"},
        )
    assert refused.value.errors == {
        "username": [
            "Der Benutzername „zur.gleichen.zeit“ ist bereits vergeben. Bitte wählen Sie "
            "einen anderen."
        ]
    }
    draft.refresh_from_db()
    assert draft.username is None


# --- a draft's and an import run's customer is their trunk's -------------------------------


def test_a_draft_cannot_be_saved_with_a_trunk_of_another_customer(alice, trunk, other_trunk):
    draft = setup.start_draft(actor=Actor.for_admin(alice), trunk=trunk, user_data=USER_DATA)
    assert draft.customer_id == trunk.customer_id
    draft.trunk = other_trunk
    with pytest.raises(ValueError, match="is not the customer"):
        draft.save(update_fields=["trunk"])
    with pytest.raises(ValueError, match="is not the customer"):
        SetupDraft.objects.create(customer=trunk.customer, created_by=alice, trunk=other_trunk)


def test_an_import_run_cannot_be_saved_with_a_trunk_of_another_customer(alice, other_trunk):
    with pytest.raises(ValueError, match="is not the customer"):
        ImportRun.objects.create(
            customer=alice.customer, trunk=other_trunk, created_by=alice, file_name="liste.csv"
        )
    assert not ImportRun.objects.exists()


def test_the_back_office_refuses_a_login_named_like_a_draft(alice, trunk):
    draft_holding(alice, trunk, trunk.numbers.free().first(), username="max.muster")
    staff = User.objects.create_superuser(username="olga", password="Secret-Pass-1")
    client = client_for(staff)
    response = client.post(
        reverse("admin:portal_user_add"),
        {
            "username": "Max.Muster",
            "usable_password": "true",
            "password1": "Ein-Langes-Passwort-7",
            "password2": "Ein-Langes-Passwort-7",
        },
    )
    assert response.status_code == 200
    assert "Der Benutzername „Max.Muster“ ist vergeben." in response.content.decode()
    assert not User.objects.filter(username="Max.Muster").exists()
    response = client.post(
        reverse("admin:portal_user_add"),
        {
            "username": "Max.Anders",
            "usable_password": "true",
            "password1": "Ein-Langes-Passwort-7",
            "password2": "Ein-Langes-Passwort-7",
        },
    )
    assert response.status_code == 302
    assert claims()["Max.Anders"] == "user"
