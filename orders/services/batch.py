"""Several items as one order, all or nothing: new workplaces, package changes and deletions.

Each item goes through the service its page uses (the composite ``put_in_cart`` of the list
import, ``add_package_change`` of "Paket ändern", the rules of "Löschen"), then
:func:`~orders.services.placing.place_order` orders exactly these lines, as "Kostenpflichtig
bestellen" does. Every refused item is reported at once with its index; then nothing stays:
no draft in the cart, no change, no scheduled deletion, no order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils import timezone

from catalog.models import Package
from orders.models import Cart, Order
from orders.services.cart import add_package_change, cart_of
from orders.services.deletions import decide_deletion
from orders.services.placing import place_order
from portal import policy
from portal.errors import Problem, Refusal
from portal.policy import Actor
from trunks.models import SipTrunk
from workplaces.models import Workplace
from workplaces.services import setup


@dataclass(frozen=True)
class NewWorkplace:
    """A workplace as the wizard would set it up: ``person`` the Benutzerdaten, ``contacts``
    as :func:`~workplaces.services.setup.put_in_cart` takes them; None for the suggestion,
    the next free number, no package."""

    trunk: str
    person: Mapping[str, object]
    contacts: Mapping[str, object]
    username: str | None = None
    number: str | None = None
    package: str | None = None


@dataclass(frozen=True)
class PackageChange:
    """Book ``package`` (a code; None cancels the package) for the workplace ``workplace``."""

    workplace: str
    package: str | None = None


@dataclass(frozen=True)
class Deletion:
    """Delete the workplace ``workplace`` (inside its minimum term: at the term's end)."""

    workplace: str


type Item = NewWorkplace | PackageChange | Deletion


class ItemsRefused(Refusal):
    """Some items were refused; ``by_item`` holds (index of the item, its refusal)."""

    def __init__(self, by_item: Sequence[tuple[int, Refusal]]) -> None:
        self.by_item = list(by_item)
        super().__init__(problems=[p for _index, r in self.by_item for p in r.problems])


@dataclass(frozen=True)
class Placed:
    """The order (None when every item was a deletion scheduled for a later date) and, by
    index of the item, the dates of the scheduled deletions."""

    order: Order | None
    scheduled: dict[int, dt.date] = field(default_factory=dict)


def _find[M: Model](actor: Actor, queryset: QuerySet[M], code: str, field_name: str) -> M:
    """An object the actor may see by its code; else ``not_found``, tied to the field."""
    try:
        return policy.find(actor, queryset, code)
    except Refusal as refusal:
        problem = Problem(code=refusal.code, message=refusal.message, field=field_name)
        raise Refusal(problems=[problem]) from None


def order_items(*, actor: Actor, items: Sequence[Item], language: str = "de") -> Placed:
    """Order ``items`` in one order, all or nothing; raises :class:`ItemsRefused` with every
    refused item, or a :class:`~portal.errors.Refusal` of ``place_order`` (a rule that
    changed while the items were checked)."""
    today = timezone.localdate()
    drafts: list[int] = []
    changes: list[int] = []
    deletions: list[int] = []
    scheduled: dict[int, dt.date] = {}
    refused: list[tuple[int, Refusal]] = []
    with transaction.atomic():
        # The cart first, as place_order takes it before the trunks: put_in_cart locks a
        # trunk, and a page's order of the same admin must not hold the cart meanwhile.
        cart = Cart.objects.select_for_update().get(pk=cart_of(actor.user).pk)
        for index, item in enumerate(items):
            try:
                with transaction.atomic():
                    if isinstance(item, NewWorkplace):
                        drafts.append(_new_workplace(actor, item).pk)
                    elif isinstance(item, PackageChange):
                        changes.append(_package_change(actor, item).pk)
                    else:
                        workplace_id, later = _deletion(actor, item, today)
                        if later:
                            scheduled[index] = later
                        elif workplace_id not in deletions:  # a workplace goes once
                            deletions.append(workplace_id)
            except Refusal as refusal:
                refused.append((index, refusal))
        if refused:
            raise ItemsRefused(refused)
        if not (drafts or changes or deletions):
            return Placed(order=None, scheduled=scheduled)
        order = place_order(
            actor=actor,
            token=cart.token,
            language=language,
            drafts=drafts,
            changes=changes,
            deletions=deletions,
        )
    return Placed(order=order, scheduled=scheduled)


def _new_workplace(actor: Actor, item: NewWorkplace):
    trunk = _find(actor, SipTrunk.objects.all(), item.trunk, "trunk")
    return setup.put_in_cart(
        actor=actor,
        trunk=trunk,
        person=item.person,
        contacts=item.contacts,
        username=item.username,
        number=item.number,
        package=item.package,
    )


def _package_change(actor: Actor, item: PackageChange):
    workplace = _find(
        actor, Workplace.objects.select_related("package", "trunk"), item.workplace, "workplace"
    )
    package = None
    if item.package is not None:
        package = Package.objects.orderable_by_code(item.package)
        if package is None:
            raise Refusal(
                "unknown_package",
                setup.unknown_package_message(),
                field="package",
                params={"package": str(item.package).strip()},
            )
    return add_package_change(actor=actor, workplace=workplace, package=package)


def _deletion(actor: Actor, item: Deletion, today: dt.date) -> tuple[int, dt.date | None]:
    """The workplace's id and the date its deletion is scheduled for (None: delete now)."""
    workplace = _find(actor, Workplace.objects.all(), item.workplace, "workplace")
    locked, later = decide_deletion(actor=actor, workplace=workplace, today=today)
    return locked.pk, later
