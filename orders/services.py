"""Ordering: the cart, "Kostenpflichtig bestellen" exactly once, and order processing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.models import Cart, Order, OrderItem, OrderStatusChange, Package, gross
from portal.models import AuditEvent, User
from trunks.models import Number
from trunks.services import trunks_with_usage
from workplaces import services as workplace_services
from workplaces.models import SetupDraft, Workplace
from workplaces.wizard import STEPS


class OrderError(Exception):
    """Ordering was refused; the message says why and can be shown as it is."""


@dataclass
class CartLine:
    draft: SetupDraft
    workplace_net: Decimal
    package_net: Decimal

    @property
    def monthly_net(self) -> Decimal:
        return self.workplace_net + self.package_net


@dataclass
class CartView:
    cart: Cart
    lines: list[CartLine]

    @property
    def monthly_net(self) -> Decimal:
        return sum((line.monthly_net for line in self.lines), Decimal("0.00"))

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


def view_cart(admin: User) -> CartView:
    workplace_net = Package.workplace_product().monthly_net
    lines = [
        CartLine(d, workplace_net, d.package.monthly_net if d.package else Decimal("0.00"))
        for d in cart_drafts(admin).order_by("created_at")
    ]
    return CartView(cart_of(admin), lines)


def remove_from_cart(*, admin: User, draft: SetupDraft) -> None:
    workplace_services.release_draft(draft=draft)


def _transition(order: Order, status: str, note: str = "") -> None:
    if not order.can_move_to(status):
        raise OrderError(f"order {order.pk}: {order.status} -> {status} is not allowed")
    order.status = status
    order.save(update_fields=["status"])
    OrderStatusChange.objects.create(order=order, status=status, note=note)


def _check_draft(draft: SetupDraft, usage: dict[int, int], quota: dict[int, int]) -> None:
    name = draft.full_name or draft.username
    for step in STEPS[:-1]:
        if not step.is_complete(draft):
            raise OrderError(
                _("Die Einrichtung für %(name)s ist unvollständig (%(step)s).")
                % {"name": name, "step": step.label}
            )
    if workplace_services.username_taken(draft.username, draft=draft):
        raise OrderError(_("Der Benutzername „%(name)s“ ist vergeben.") % {"name": draft.username})
    if Workplace.objects.filter(number_id=draft.number_id).exists():
        raise OrderError(
            _("Die Rufnummer %(number)s ist bereits vergeben.") % {"number": draft.number.national}
        )
    if draft.package_id and not draft.package.active:
        raise OrderError(
            _("Das Paket %(package)s ist nicht mehr bestellbar.") % {"package": draft.package}
        )
    usage[draft.trunk_id] = usage.get(draft.trunk_id, 0) + 1
    if usage[draft.trunk_id] > quota[draft.trunk_id]:
        raise OrderError(
            _("Das Kontingent des SIP-Trunks %(trunk)s reicht nicht für alle Arbeitsplätze.")
            % {"trunk": draft.trunk.name}
        )


def place_order(*, admin: User, token: uuid.UUID | str) -> Order:
    """Order everything in the admin's cart, once per cart token.

    The cart row is locked first, so a double click, a replayed POST or a second tab waits,
    then finds the token used and gets the order the first request created.
    """
    token = uuid.UUID(str(token))
    with transaction.atomic():
        cart = Cart.objects.select_for_update().get(pk=cart_of(admin).pk)
        if cart.token != token:
            existing = Order.objects.filter(submission=token, placed_by=admin).first()
            if existing is not None:
                return existing
            raise OrderError(_("Der Warenkorb hat sich geändert. Bitte prüfen Sie ihn erneut."))
        drafts = list(cart_drafts(admin).select_for_update(of=("self",)).order_by("created_at"))
        if not drafts:
            raise OrderError(_("Ihr Warenkorb ist leer."))
        # Lock the numbers in a fixed order so concurrent orders cannot deadlock.
        list(
            Number.objects.select_for_update()
            .filter(pk__in=[d.number_id for d in drafts if d.number_id])
            .order_by("pk")
        )
        trunks = {t.pk: t for t in trunks_with_usage(admin.customer)}
        usage = {pk: t.workplaces_used for pk, t in trunks.items()}
        quota = {pk: t.workplace_quota for pk, t in trunks.items()}
        for draft in drafts:
            _check_draft(draft, usage, quota)
        workplace_net = Package.workplace_product().monthly_net
        order = Order.objects.create(
            customer_id=admin.customer_id,
            placed_by=admin,
            submission=token,
            monthly_net=Decimal("0.00"),
        )
        order.number = f"{timezone.localdate():%Y}-{order.pk:06d}"
        total = Decimal("0.00")
        for draft in drafts:
            package = draft.package
            workplace = workplace_services.create_workplace_from(draft=draft, admin=admin)
            item = OrderItem.objects.create(
                order=order,
                kind=OrderItem.Kind.NEW_WORKPLACE,
                workplace=workplace,
                package=package,
                workplace_net=workplace_net,
                package_net=package.monthly_net if package else Decimal("0.00"),
            )
            total += item.monthly_net
        order.monthly_net = total
        order.save(update_fields=["number", "monthly_net"])
        OrderStatusChange.objects.create(order=order, status=order.status)
        cart.token = uuid.uuid4()
        cart.save(update_fields=["token"])
        AuditEvent.objects.create(
            customer_id=admin.customer_id,
            actor=admin,
            action="order_placed",
            object_type="order",
            object_code=str(order.code),
            summary=_("Auftrag %(number)s bestellt") % {"number": order.number},
        )
        from orders.tasks import process_order

        process_order.delay_on_commit(order.pk)
    return order


def process_order(order_id: int) -> None:
    """Activate every workplace of the order. Idempotent on the order's status.

    A failure marks the order failed with a note for the admin, then re-raises for the log.
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.status == Order.Status.RECEIVED:
            _transition(order, Order.Status.PROCESSING)
        elif order.status != Order.Status.PROCESSING:
            return
    try:
        for item in order.items.select_related("workplace__trunk"):
            workplace_services.activate_workplace(workplace=item.workplace)
    except Exception:
        with transaction.atomic():
            order = Order.objects.select_for_update().get(pk=order_id)
            _transition(
                order, Order.Status.FAILED, _("Aktivierung fehlgeschlagen; der Service prüft das.")
            )
        raise
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.status == Order.Status.PROCESSING:
            _transition(order, Order.Status.COMPLETED)
            # Messages to the new users and the ordering admin are created here (outbox).
