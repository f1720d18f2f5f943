"""Ordering: the cart, "Kostenpflichtig bestellen" exactly once, and order processing."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import MonthlyPrice, Package, PriceChange, gross, money, signed_money
from notifications import services as notification_services
from notifications.models import Notification
from orders.models import Cart, CartChange, Order, OrderItem, OrderStatusChange
from portal import audit, celery, policy
from portal.errors import Refusal
from portal.models import User
from portal.policy import Actor
from provisioning import services as provisioning
from trunks.models import Number
from workplaces.models import SetupDraft, Workplace
from workplaces.services import credentials, lifecycle, quota, setup

log = logging.getLogger(__name__)


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


@dataclass
class CartView:
    cart: Cart
    lines: list[CartLine]
    changes: list[ChangeLine]

    @property
    def monthly_net(self) -> Decimal:
        every = [*self.lines, *self.changes]
        return sum((line.monthly_net for line in every), Decimal("0.00"))

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    @property
    def is_empty(self) -> bool:
        return not (self.lines or self.changes)

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
        CartLine(d, MonthlyPrice(workplace_net, d.package))
        for d in cart_drafts(admin).order_by("created_at")
    ]
    changes = [
        ChangeLine(
            c,
            MonthlyPrice(workplace_net, c.workplace.package),
            MonthlyPrice(workplace_net, c.package),
        )
        for c in cart_changes(admin).order_by("created_at")
    ]
    return CartView(cart_of(admin), lines, changes)


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


def remove_change(*, admin: User, change: CartChange) -> None:
    change.delete()


def remove_from_cart(*, admin: User, draft: SetupDraft) -> None:
    setup.release_draft(draft=draft)


def _transition(order: Order, status: str, note: str = "") -> None:
    if not order.can_move_to(status):
        raise ValueError(f"order {order.pk}: {order.status} -> {status} is not allowed")
    order.status = status
    order.save(update_fields=["status"])
    OrderStatusChange.objects.create(order=order, status=status, note=note)


def _check_draft(draft: SetupDraft) -> None:
    name = draft.full_name or draft.username
    missing = draft.first_missing()
    if missing is not None:
        raise Refusal(
            "draft_incomplete",
            _("Die Einrichtung für %(name)s ist unvollständig (%(step)s).")
            % {"name": name, "step": draft.part_label(missing)},
            params={"name": name, "step": missing},
        )
    if setup.username_taken(draft.username, draft=draft):
        raise Refusal(
            "username_taken",
            _("Der Benutzername „%(name)s“ ist vergeben.") % {"name": draft.username},
            field="username",
            params={"name": draft.username},
        )
    if Number.objects.filter(pk=draft.number_id).assigned().exists():
        raise Refusal(
            "number_held",
            _("Die Rufnummer %(number)s ist bereits vergeben.") % {"number": draft.number.national},
            field="number",
            params={"number": draft.number.e164},
        )
    if draft.package_id and not draft.package.active:
        raise Refusal(
            "package_unavailable",
            _("Das Paket %(package)s ist nicht mehr bestellbar.") % {"package": draft.package},
            field="package",
            params={"package": draft.package.code},
        )


def _check_quota(drafts: list[SetupDraft]) -> None:
    """The cart's drafts already hold their places; with the trunks locked, none may be over.

    A trunk can only be over its quota when staff lowered it after the drafts were added.
    """
    for trunk in quota.lock_trunks(d.trunk_id for d in drafts).values():
        if quota.places_left(trunk) < 0:
            raise Refusal(
                "quota_short",
                _("Das Kontingent des SIP-Trunks %(trunk)s reicht nicht für alle Arbeitsplätze.")
                % {"trunk": trunk.name},
                params={"trunk": trunk.name},
            )


def _new_order(*, admin: User, submission: uuid.UUID, language: str) -> Order:
    order = Order.objects.create(
        customer_id=admin.customer_id,
        placed_by=admin,
        submission=submission,
        monthly_net=Decimal("0.00"),
        language=language,
    )
    order.number = f"{timezone.localdate():%Y}-{order.pk:06d}"
    order.save(update_fields=["number"])
    OrderStatusChange.objects.create(order=order, status=order.status)
    return order


def _check_change(change: CartChange, admin: User, today) -> None:
    """Called with the workplace row locked, so no other change can be decided meanwhile."""
    workplace = change.workplace
    refusal = lifecycle.package_change_refusal(workplace, change.package, today)
    refusal = refusal or pending_change_refusal(workplace, admin=admin, own_cart_line_ok=True)
    if refusal:
        raise refusal


def order_deletion(*, actor: Actor, workplace: Workplace, language: str = "de") -> Order | None:
    """Delete now, as an order; inside the minimum term the deletion is scheduled instead.

    Returns the order, or None when the deletion was scheduled for the end of the term.
    The workplace row is locked first, so a package change or a second deletion decided at
    the same time waits and then sees this one.
    """
    today = timezone.localdate()
    admin = actor.user
    with transaction.atomic():
        workplace = (
            Workplace.objects.select_for_update(of=("self",))
            .select_related("package", "trunk")
            .get(pk=workplace.pk)
        )
        policy.check_change(actor, workplace)
        if not workplace.is_manageable:
            raise Refusal(
                "not_active",
                _("Dieser Arbeitsplatz kann nicht mehr gelöscht werden."),
                params={"username": workplace.username},
            )
        refusal = pending_change_refusal(workplace, admin=admin, own_cart_line_ok=False)
        if refusal:
            raise refusal
        earliest = workplace.earliest_deletion_on()
        if earliest and today < earliest:
            lifecycle.schedule_deletion(workplace=workplace, actor=actor, on=earliest)
            return None
        order = _new_order(admin=admin, submission=uuid.uuid4(), language=language)
        item = OrderItem.objects.create(
            order=order,
            kind=OrderItem.Kind.DELETION,
            workplace=workplace,
            workplace_net=Decimal("0.00"),
            previous_net=MonthlyPrice(
                Package.workplace_product().monthly_net, workplace.package
            ).net,
        )
        order.monthly_net = item.monthly_net
        order.save(update_fields=["monthly_net"])
        transaction.on_commit(lambda: enqueue_processing(order.pk))
    return order


def carry_out_due_deletions(*, today=None) -> int:
    """Periodic: delete the workplaces whose scheduled cancellation date has come."""
    today = today or timezone.localdate()
    done = 0
    for workplace in lifecycle.due_deletions(today):
        done += lifecycle.delete_workplace(workplace=workplace, actor=None, today=today)
    return done


def place_order(*, actor: Actor, token: uuid.UUID | str, language: str = "de") -> Order:
    """Order everything in the admin's cart, once per cart token.

    The cart row is locked first, so a double click, a replayed POST or a second tab waits,
    then finds the token used and gets the order the first request created. The cart is the
    actor's own; each draft and changed workplace in it is checked against the policy.
    """
    admin = actor.user
    changed = Refusal(
        "cart_changed", _("Der Warenkorb hat sich geändert. Bitte prüfen Sie ihn erneut.")
    )
    try:
        token = uuid.UUID(str(token))
    except ValueError:  # a page older than the cart's token, or a tampered form
        raise changed from None
    with transaction.atomic():
        cart = Cart.objects.select_for_update().get(pk=cart_of(admin).pk)
        if cart.token != token:
            existing = Order.objects.filter(submission=token, placed_by=admin).first()
            if existing is not None:
                return existing
            raise changed
        drafts = list(cart_drafts(admin).select_for_update(of=("self",)).order_by("created_at"))
        changes = list(cart_changes(admin).select_for_update(of=("self",)).order_by("created_at"))
        if not drafts and not changes:
            raise Refusal("cart_empty", _("Ihr Warenkorb ist leer."))
        # The changed workplaces too, in a fixed order: a deletion decided meanwhile waits.
        list(
            Workplace.objects.select_for_update()
            .filter(pk__in=[c.workplace_id for c in changes])
            .order_by("pk")
        )
        # Lock the numbers in a fixed order so concurrent orders cannot deadlock.
        list(
            Number.objects.select_for_update()
            .filter(pk__in=[d.number_id for d in drafts if d.number_id])
            .order_by("pk")
        )
        _check_quota(drafts)
        for draft in drafts:
            policy.check_change(actor, draft)
            _check_draft(draft)
        today = timezone.localdate()
        for change in changes:
            policy.check_change(actor, change)
            _check_change(change, admin, today)
        workplace_net = Package.workplace_product().monthly_net
        order = _new_order(admin=admin, submission=token, language=language)
        total = Decimal("0.00")
        for change in changes:
            after = MonthlyPrice(workplace_net, change.package)
            item = OrderItem.objects.create(
                order=order,
                kind=OrderItem.Kind.PACKAGE_CHANGE,
                workplace=change.workplace,
                package=change.package,
                workplace_net=workplace_net,
                package_net=after.package_net,
                previous_net=MonthlyPrice(workplace_net, change.workplace.package).net,
            )
            total += item.monthly_net
            change.delete()
        for draft in drafts:
            package = draft.package
            workplace = setup.create_workplace_from(draft=draft, admin=admin)
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
        order.save(update_fields=["monthly_net"])
        cart.token = uuid.uuid4()
        cart.save(update_fields=["token"])
        audit.record(
            customer_id=admin.customer_id,
            actor=admin,
            action="order_placed",
            object_type="order",
            object_code=order.code,
            params={"number": order.number},
        )
        transaction.on_commit(lambda: enqueue_processing(order.pk))
    return order


def enqueue_processing(order_id: int) -> None:
    """Hand the order to a worker. With the broker down the order stays received and the
    sweep hands it over later, so the admin still lands on the order page."""
    celery.enqueue("orders.tasks.process_order", order_id)


def sweep_orders(*, now=None) -> int:
    """Hand orders stuck in "received" (lost publish) or "processing" (waiting for the SIP
    registrar, or a worker that died) to a worker again; processing is idempotent."""
    now = now or timezone.now()
    stuck = Order.objects.filter(
        status__in=Order.IN_PROGRESS, created_at__lt=now - dt.timedelta(minutes=2)
    ).values_list("pk", flat=True)[:500]
    ids = list(stuck)
    for order_id in ids:
        enqueue_processing(order_id)
    return len(ids)


def process_order(order_id: int, *, send_messages: bool = True) -> None:
    """Activate every workplace of the order. Idempotent on the order's status and items.

    The order completes (and its messages are written) once the SIP registrar has every new
    workplace: until then it stays "processing" with a note, and the registrar's outbox runs
    this again when its jobs are done (the order sweep too). Without a registrar that is at
    once. A failure marks the order failed with a note for the admin, then re-raises for the
    log. ``send_messages`` False leaves out the welcome, password and order messages (the
    demo data, which nobody is there to receive; it is made without a registrar).
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.status == Order.Status.RECEIVED:
            _transition(order, Order.Status.PROCESSING)
        elif order.status != Order.Status.PROCESSING:
            return
    try:
        today = timezone.localdate()
        for item_id in order.items.values_list("pk", flat=True):
            _carry_out(item_id, order, today)
    except Exception:
        with transaction.atomic():
            order = Order.objects.select_for_update().get(pk=order_id)
            _transition(
                order, Order.Status.FAILED, _("Aktivierung fehlgeschlagen; der Service prüft das.")
            )
        raise
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.status != Order.Status.PROCESSING:
            return
        if not order.items.exclude(outcome=OrderItem.Outcome.REFUSED).exists():
            _transition(
                order,
                Order.Status.FAILED,
                _("Keine Position konnte ausgeführt werden; die Gründe stehen bei den Positionen."),
            )
        elif not _registrar_ready(order):
            _note_once(order, _("Wartet auf den SIP-Registrar."))
        else:
            _transition(order, Order.Status.COMPLETED)
            if send_messages:
                _queue_messages(order)


def _registrar_ready(order: Order) -> bool:
    """Whether the registrar has every new workplace; if not, it runs this order again then.

    The messages wait for it: a password sent before the subscriber exists would not work.
    """
    workplaces = Workplace.objects.filter(
        pk__in=order.items.filter(
            kind=OrderItem.Kind.NEW_WORKPLACE, outcome=OrderItem.Outcome.DONE
        ).values("workplace_id")
    )
    return provisioning.when_done(
        [lifecycle.registrar_ref(w) for w in workplaces],
        then_task="orders.tasks.process_order",
        then_id=order.pk,
    )


def _note_once(order: Order, note: str) -> None:
    """A note in the order's history without a change of status, not repeated by re-runs."""
    latest = order.history.order_by("-created_at", "-id").first()
    if latest is None or latest.status != order.status or latest.note != note:
        OrderStatusChange.objects.create(order=order, status=order.status, note=note)


@transaction.atomic
def _carry_out(item_id: int, order: Order, today) -> None:
    """One item of an order, re-checked against the state now, and its outcome recorded.

    An item whose rule no longer holds (the minimum term, the workplace gone) is refused with
    the reason and changes nothing. Idempotent on the item's outcome.
    """
    item = (
        OrderItem.objects.select_for_update(of=("self",))
        .select_related("workplace", "package")
        .get(pk=item_id)
    )
    if item.outcome != OrderItem.Outcome.PENDING:
        return
    # The placing admin's rights decide again now, as they did when the order was placed.
    placed_by = Actor.for_admin(order.placed_by) if order.placed_by_id else None
    try:
        if item.kind == OrderItem.Kind.NEW_WORKPLACE:
            lifecycle.activate_workplace(workplace=item.workplace, order=order)
        elif item.kind == OrderItem.Kind.PACKAGE_CHANGE:
            lifecycle.change_package(
                workplace=item.workplace,
                package=item.package,
                actor=placed_by,
                today=today,
                order=order,
            )
        elif item.kind == OrderItem.Kind.DELETION:
            lifecycle.delete_workplace(
                workplace=item.workplace, actor=placed_by, today=today, order=order
            )
    except Refusal as refusal:
        item.outcome, item.reason = OrderItem.Outcome.REFUSED, str(refusal)[:300]
    else:
        item.outcome = OrderItem.Outcome.DONE
    item.save(update_fields=["outcome", "reason"])


def _queue_messages(order: Order) -> None:
    """Welcome e-mail and password for each new user, the Auftragsinformation for the admin.

    Written in the transaction that completes the order, so they exist exactly when it does.
    """
    items = list(
        order.items.filter(outcome=OrderItem.Outcome.DONE).select_related(
            "workplace__number", "workplace__user", "package"
        )
    )
    new_workplaces = False
    for item in items:
        if item.kind == OrderItem.Kind.NEW_WORKPLACE:
            new_workplaces = True
            credentials.queue_credentials(workplace=item.workplace, order_id=order.pk)
    admin = order.placed_by
    if not admin.email:
        log.warning("orders: admin %s has no e-mail; no Auftragsinformation", admin.pk)
        return
    notification_services.queue(
        kind=Notification.Kind.ORDER_CONFIRMATION,
        channel=Notification.Channel.EMAIL,
        recipient=admin.email,
        language=order.language,
        order_id=order.pk,
        context={
            "admin_name": admin.get_full_name() or admin.username,
            "order_number": order.number,
            "order_path": reverse("orders:detail", args=[order.code]),
            "items": [
                {
                    "what": item.get_kind_display(),
                    "name": item.workplace.full_name,
                    "username": item.workplace.username,
                    "number": item.workplace.number.national if item.workplace.number else "",
                    "package": item.package.name if item.package else "",
                    "monthly_net": money(item.monthly_net),
                    "changes": item.changes_a_workplace,
                    "before_net": money(item.price_change.before_net),
                    "after_net": money(item.price_change.after_net),
                    "difference": signed_money(item.monthly_net),
                }
                for item in items
            ],
            "new_workplaces": new_workplaces,
            "package_changed": any(i.kind == OrderItem.Kind.PACKAGE_CHANGE for i in items),
            "changes": any(item.changes_a_workplace for item in items),
            "monthly_net": money(order.monthly_net),
            "monthly_net_signed": signed_money(order.monthly_net),
            "monthly_gross": money(order.monthly_gross),
            "monthly_gross_signed": signed_money(order.monthly_gross),
        },
    )


def orders_with_page(customer_id: int, codes: Collection[str]) -> set[str]:
    """Which of ``codes`` name an order of the customer (for links from the Protokoll)."""
    valid = []
    for code in codes:
        try:
            valid.append(uuid.UUID(code))
        except ValueError:
            continue
    found = Order.objects.filter(customer_id=customer_id, code__in=valid)
    return {str(code) for code in found.values_list("code", flat=True)}
