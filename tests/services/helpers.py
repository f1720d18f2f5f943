"""Workplaces made through the services alone, as the API will make them."""

from __future__ import annotations

from orders.services import cart_of, place_order, process_order
from portal.policy import Actor
from trunks.models import SipTrunk
from workplaces.models import SetupDraft, Workplace
from workplaces.services import setup

USER_DATA = {
    "first_name": "Jörg",
    "last_name": "Müller",
    "street": "Hauptstraße",
    "house_number": "1",
    "postcode": "53111",
    "city": "Bonn",
    "email": "",
}
CONTACTS = {"auth_email": "joerg@example.com", "mobile": "", "without_mobile": True}


def draft_in_cart(admin, trunk: SipTrunk, *, username: str, package=None) -> SetupDraft:
    draft = setup.start_draft(actor=Actor.for_admin(admin), trunk=trunk, user_data=USER_DATA)
    setup.reserve_username(
        actor=Actor.for_admin(draft.created_by), draft=draft, username=username, contacts=CONTACTS
    )
    setup.reserve_number(
        actor=Actor.for_admin(draft.created_by),
        draft=draft,
        number=setup.next_free_number(trunk=trunk),
    )
    setup.choose_package(actor=Actor.for_admin(draft.created_by), draft=draft, package=package)
    setup.add_to_cart(draft=draft, actor=Actor.for_admin(draft.created_by))
    return draft


def active_workplace(admin, trunk: SipTrunk, *, username: str, package=None) -> Workplace:
    draft_in_cart(admin, trunk, username=username, package=package)
    order = place_order(actor=Actor.for_admin(admin), token=cart_of(admin).token)
    process_order(order.pk, send_messages=False)
    return Workplace.objects.get(username=username)
