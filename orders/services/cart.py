"""The cart: new workplaces and package changes waiting to be ordered, and the rule that
no second change of a workplace may be decided while one is on its way.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.paginator import Page
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import MonthlyPrice, Package, PriceChange, gross
from orders.models import Cart, CartChange, Order, OrderItem
from portal import policy
from portal.errors import Refusal
from portal.models import User
from portal.paging import KeysFirstPaginator
from portal.policy import Actor
from workplaces.models import SetupDraft, Workplace
from workplaces.services import lifecycle


@dataclass
class CartLine:
    draft: SetupDraft
    price: MonthlyPrice

    @property
    def monthly_net(self) -> Decimal:
        return self.price.net


@dataclass
class ChangeLine:
    """A package change: the workplace's monthly price before and after; the difference is
    what it adds to the bill."""

    change: CartChange
    before: MonthlyPrice
    after: MonthlyPrice

    @property
    def price_change(self) -> PriceChange:
        return PriceChange(before_net=self.before.net, after_net=self.after.net)

    @property
    def monthly_net(self) -> Decimal:
        return self.price_change.difference


#: New workplaces shown per page of the cart; the package changes are few and all shown.
LINES_PER_PAGE = 50


@dataclass
class CartView:
    """The cart's page of new workplaces (``page``, of :class:`CartLine`) and all its package
    changes; ``workplaces`` and ``workplaces_net`` cover all new workplaces, not the page."""

    cart: Cart
    page: Page
    changes: list[ChangeLine]
    workplaces: int
    workplaces_net: Decimal

    @property
    def lines(self) -> list[CartLine]:
        return self.page.object_list

    @property
    def monthly_net(self) -> Decimal:
        changes = sum((line.monthly_net for line in self.changes), Decimal("0.00"))
        return self.workplaces_net + changes

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    @property
    def is_empty(self) -> bool:
        return not (self.workplaces or self.changes)

    @property
    def monthly_gross(self) -> Decimal:
        return gross(self.monthly_net)


def cart_of(admin: User) -> Cart:
    cart, _created = Cart.objects.get_or_create(customer_id=admin.customer_id, owner=admin)
    return cart


def cart_drafts(admin: User):
    return SetupDraft.objects.filter(
        created_by=admin, customer_id=admin.customer_id, status=SetupDraft.Status.IN_CART
    ).select_related("trunk", "number", "package")


def view_cart(admin: User, page=None, *, per_page: int = LINES_PER_PAGE) -> CartView:
    """The cart with its new workplaces' page ``page`` (as ``Paginator.get_page`` takes it).

    The count and the monthly sum of all new workplaces come from one query grouped by
    package; only the page's drafts are read with their joins."""
    workplace_net = Package.workplace_product().monthly_net
    drafts = cart_drafts(admin)
    workplaces, workplaces_net = 0, Decimal("0.00")
    per_package = drafts.values("package", "package__monthly_net").annotate(n=Count("pk"))
    for row in per_package.order_by():
        package = None
        if row["package"] is not None:
            package = Package(pk=row["package"], monthly_net=row["package__monthly_net"])
        workplaces += row["n"]
        workplaces_net += row["n"] * MonthlyPrice(workplace_net, package).net
    paginator = KeysFirstPaginator(drafts.order_by(*SetupDraft.CART_ORDER), per_page)
    paginator.count = workplaces  # counted above; spares the paginator its own count
    lines_page = paginator.get_page(page)
    lines_page.object_list = [
        CartLine(d, MonthlyPrice(workplace_net, d.package)) for d in lines_page.object_list
    ]
    changes = [
        ChangeLine(
            c,
            MonthlyPrice(workplace_net, c.workplace.package),
            MonthlyPrice(workplace_net, c.package),
        )
        for c in cart_changes(admin).order_by("created_at")
    ]
    return CartView(cart_of(admin), lines_page, changes, workplaces, workplaces_net)


def cart_changes(admin: User):
    return CartChange.objects.filter(owner=admin, customer_id=admin.customer_id).select_related(
        "workplace__number", "workplace__package", "package"
    )


def pending_change_refusal(
    workplace: Workplace, *, admin: User, own_cart_line_ok: bool
) -> Refusal | None:
    """Why no further change of the workplace may be decided now; None when none waits.

    A change waits while an order with a change or deletion of the workplace is not yet
    processed, or while a package change of it lies in a cart (another admin's; with
    ``own_cart_line_ok`` False, the admin's own too). Checks of the minimum term look at the
    booked package, so they would be wrong while such a change is on its way.
    """
    item = (
        OrderItem.objects.filter(
            workplace=workplace,
            kind__in=(OrderItem.Kind.PACKAGE_CHANGE, OrderItem.Kind.DELETION),
            outcome=OrderItem.Outcome.PENDING,
            order__status__in=Order.IN_PROGRESS,
        )
        .select_related("order")
        .first()
    )
    if item is not None:
        return Refusal(
            "change_pending",
            _(
                "Für diesen Arbeitsplatz ist bereits ein Auftrag in Bearbeitung (%(number)s). "
                "Bitte warten Sie, bis er abgeschlossen ist."
            )
            % {"number": item.order.number},
            params={"order": item.order.number},
        )
    lines = CartChange.objects.filter(workplace=workplace).select_related("owner")
    if own_cart_line_ok:
        lines = lines.exclude(owner=admin)
    line = lines.first()
    if line is None:
        return None
    if line.owner_id == admin.pk:
        return Refusal(
            "change_in_cart",
            _(
                "Für diesen Arbeitsplatz liegt ein Paketwechsel in Ihrem Warenkorb. Bestellen "
                "oder entfernen Sie ihn zuerst."
            ),
            params={"own": True},
        )
    name = line.owner.get_full_name() or line.owner.username
    return Refusal(
        "change_in_cart",
        _("Für diesen Arbeitsplatz liegt bereits ein Paketwechsel im Warenkorb von %(admin)s.")
        % {"admin": name},
        params={"own": False, "admin": name},
    )


def deletion_refusal(workplace: Workplace, *, admin: User) -> Refusal | None:
    """Why the workplace cannot be ordered deleted now (the page's "Löschen"); None when it
    can. Inside the minimum term the deletion is scheduled instead, which is no refusal."""
    if not workplace.is_manageable:
        return Refusal(
            "not_active",
            _("Dieser Arbeitsplatz kann nicht mehr gelöscht werden."),
            params={"username": workplace.username},
        )
    return pending_change_refusal(workplace, admin=admin, own_cart_line_ok=False)


def add_package_change(*, actor: Actor, workplace: Workplace, package) -> CartChange:
    """Put a package change into the cart; a second change of the same workplace replaces it."""
    policy.check_change(actor, workplace)
    admin = actor.user
    refusal = lifecycle.package_change_refusal(workplace, package, timezone.localdate())
    refusal = refusal or pending_change_refusal(workplace, admin=admin, own_cart_line_ok=True)
    if refusal:
        raise refusal
    try:
        with transaction.atomic():
            change, _created = CartChange.objects.update_or_create(
                owner=admin,
                workplace=workplace,
                defaults={"customer_id": admin.customer_id, "package": package},
            )
    except IntegrityError:  # another admin put a change of it into a cart just now
        raise pending_change_refusal(workplace, admin=admin, own_cart_line_ok=True) or Refusal(
            "change_in_cart", _("Dieser Arbeitsplatz kann gerade nicht geändert werden.")
        ) from None
    return change


def remove_change(*, actor: Actor, change: CartChange) -> None:
    """Take a package change out of the cart; only the cart's own admin may."""
    policy.check_change(actor, change)
    change.delete()
