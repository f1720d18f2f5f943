"""Placing an order ("Kostenpflichtig bestellen") exactly once: the cart becomes an order
after every draft, change and the quota are checked again with their rows locked.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from decimal import Decimal

from django.db import transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import MonthlyPrice, Package
from orders.models import Cart, CartChange, Order, OrderItem, OrderStatusChange
from orders.services.cart import (
    cart_changes,
    cart_drafts,
    cart_of,
    deletion_refusal,
    pending_change_refusal,
)
from orders.services.processing import enqueue_processing
from orders.signals import order_status_changed
from portal import audit, logs, metrics, policy
from portal.bulk import insert_from
from portal.errors import Refusal
from portal.models import User, UsernameClaim
from portal.policy import Actor
from trunks.models import Number
from workplaces.models import SetupDraft, Workplace
from workplaces.services import lifecycle, quota, setup

log = logs.get_logger(__name__)

#: Names or numbers asked for in one query (keeps each query's parameters few).
CHECK_BATCH = 1000


def _chunks(values: list) -> list[list]:
    return [values[i : i + CHECK_BATCH] for i in range(0, len(values), CHECK_BATCH)]


def _check_drafts(actor: Actor, drafts: list[SetupDraft], packages: dict[int, Package]) -> None:
    """Every draft's rules, set-based: a few queries however many drafts there are; the first
    draft (in the cart's order) that breaks one is refused with its reason."""
    ids = {d.pk for d in drafts}
    taken: set[str] = set()
    for names in _chunks([d.username for d in drafts if d.username]):
        claims = UsernameClaim.objects.named_any(names).values_list("name", "draft_id")
        taken.update(name.lower() for name, draft_id in claims if draft_id not in ids)
    assigned: set[int] = set()
    for numbers in _chunks([d.number_id for d in drafts if d.number_id]):
        assigned.update(
            Number.objects.filter(pk__in=numbers).assigned().values_list("pk", flat=True)
        )
    for draft in drafts:
        policy.check_change(actor, draft)
        _check_draft(draft, packages.get(draft.package_id), taken=taken, assigned=assigned)


def _check_draft(
    draft: SetupDraft, package: Package | None, *, taken: set[str], assigned: set[int]
) -> None:
    name = draft.full_name or draft.username
    missing = draft.first_missing()
    if missing is not None:
        raise Refusal(
            "draft_incomplete",
            _("Die Einrichtung für %(name)s ist unvollständig (%(step)s).")
            % {"name": name, "step": draft.part_label(missing)},
            params={"name": name, "step": missing},
        )
    if draft.username.lower() in taken:
        raise Refusal(
            "username_taken",
            _("Der Benutzername „%(name)s“ ist vergeben.") % {"name": draft.username},
            field="username",
            params={"name": draft.username},
        )
    if draft.number_id in assigned:
        raise Refusal(
            "number_held",
            _("Die Rufnummer %(number)s ist bereits vergeben.") % {"number": draft.number.national},
            field="number",
            params={"number": draft.number.e164},
        )
    if package is not None and not package.active:
        raise Refusal(
            "package_unavailable",
            _("Das Paket %(package)s ist nicht mehr bestellbar.") % {"package": package},
            field="package",
            params={"package": package.code},
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
    logs.bind_order(order)  # for the rest of the request, its rows and the tasks it publishes
    change = OrderStatusChange.objects.create(order=order, status=order.status)
    metrics.count_on_commit(metrics.ORDER_STATUS, status=order.status)
    order_status_changed.send(
        sender=Order,
        order=order,
        old_status=None,
        new_status=order.status,
        changed_at=change.created_at,
    )
    return order


def _check_change(change: CartChange, admin: User, today) -> None:
    """Called with the workplace row locked, so no other change can be decided meanwhile."""
    workplace = change.workplace
    refusal = lifecycle.package_change_refusal(workplace, change.package, today)
    refusal = refusal or pending_change_refusal(workplace, admin=admin, own_cart_line_ok=True)
    if refusal:
        raise refusal


def deletion_item(order: Order, workplace: Workplace, workplace_net: Decimal) -> OrderItem:
    """The order item that deletes ``workplace``: it lowers the bill by what it cost."""
    return OrderItem.objects.create(
        order=order,
        kind=OrderItem.Kind.DELETION,
        workplace=workplace,
        workplace_net=Decimal("0.00"),
        previous_net=MonthlyPrice(workplace_net, workplace.package).net,
    )


def _check_deletion(workplace: Workplace, actor: Actor, today) -> None:
    """Called with the workplace row locked: the page's rules of "Löschen", and no minimum
    term left (inside it a deletion is scheduled, never ordered)."""
    policy.check_change(actor, workplace)
    refusal = deletion_refusal(workplace, admin=actor.user)
    refusal = refusal or lifecycle.deletion_refusal(workplace, today)
    if refusal:
        raise refusal


def _new_workplace_items(
    order: Order, workplace_ids: list[int], workplace_net: Decimal, packages: dict[int, Package]
) -> None:
    """The order's items of the new workplaces, copied from their rows in one statement, each
    priced as :class:`MonthlyPrice` prices its package."""
    package_net = Case(
        *(
            When(package_id=pk, then=Value(MonthlyPrice(workplace_net, package).package_net))
            for pk, package in packages.items()
        ),
        default=Value(MonthlyPrice(workplace_net).package_net),
        output_field=OrderItem._meta.get_field("package_net"),
    )
    insert_from(
        OrderItem,
        Workplace.objects.filter(pk__in=workplace_ids).order_by("pk"),
        order_id=order.pk,
        kind=OrderItem.Kind.NEW_WORKPLACE,
        workplace_id=F("pk"),
        package_id=F("package_id"),
        workplace_net=workplace_net,
        package_net=package_net,
    )


def place_order(
    *,
    actor: Actor,
    token: uuid.UUID | str,
    language: str = "de",
    drafts: Collection[int] | None = None,
    changes: Collection[int] | None = None,
    deletions: Collection[int] = (),
) -> Order:
    """Order everything in the admin's cart, once per cart token.

    The cart row is locked first, so a double click, a replayed POST or a second tab waits,
    then finds the token used and gets the order the first request created. The cart is the
    actor's own; each draft and changed workplace in it is checked against the policy.

    ``drafts`` and ``changes`` (ids), when given, order only these lines of the cart and leave
    the rest in it (an API request orders what it put there, never what the admin collects
    on the pages); ``deletions`` (workplace ids) are deleted by the same order.
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
                logs.bind_order(existing)
                return existing
            raise changed
        # Only the drafts' own columns: the checks need no trunk, the packages are few.
        draft_rows = (
            cart_drafts(admin)
            .select_related(None)
            .select_for_update()
            .order_by(*SetupDraft.CART_ORDER)
        )
        change_rows = cart_changes(admin).select_for_update(of=("self",)).order_by("created_at")
        if drafts is not None:
            draft_rows = draft_rows.filter(pk__in=drafts)
        if changes is not None:
            change_rows = change_rows.filter(pk__in=changes)
        drafts, changes = list(draft_rows), list(change_rows)
        if not drafts and not changes and not deletions:
            raise Refusal("cart_empty", _("Ihr Warenkorb ist leer."))
        # The changed workplaces too, in a fixed order: a deletion decided meanwhile waits.
        locked = {
            w.pk: w
            for w in Workplace.objects.select_for_update(of=("self",))
            .select_related("trunk", "package")
            .filter(pk__in=[c.workplace_id for c in changes] + list(deletions))
            .order_by("pk")
        }
        # Lock the numbers in a fixed order so concurrent orders cannot deadlock.
        list(
            Number.objects.select_for_update()
            .filter(pk__in=[d.number_id for d in drafts if d.number_id])
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        packages = Package.objects.in_bulk({d.package_id for d in drafts if d.package_id})
        _check_quota(drafts)
        _check_drafts(actor, drafts, packages)
        today = timezone.localdate()
        for change in changes:
            policy.check_change(actor, change)
            _check_change(change, admin, today)
        for workplace_id in deletions:
            _check_deletion(locked[workplace_id], actor, today)
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
        for workplace_id in deletions:
            total += deletion_item(order, locked[workplace_id], workplace_net).monthly_net
        workplace_ids = setup.create_workplaces_from(drafts=drafts, admin=admin)
        _new_workplace_items(order, workplace_ids, workplace_net, packages)
        total += sum(
            (MonthlyPrice(workplace_net, packages.get(d.package_id)).net for d in drafts),
            Decimal("0.00"),
        )
        order.monthly_net = total
        order.save(update_fields=["monthly_net"])
        cart.token = uuid.uuid4()
        cart.save(update_fields=["token"])
        audit.record(
            customer_id=admin.customer_id,
            actor=actor,
            action="order_placed",
            object_type="order",
            object_code=order.code,
            params={"number": order.number},
        )
        transaction.on_commit(lambda: enqueue_processing(order.pk))
    log.info(
        "order_placed",
        order_number=order.number,
        new_workplaces=len(drafts),
        package_changes=len(changes),
        deletions=len(deletions),
    )
    return order
