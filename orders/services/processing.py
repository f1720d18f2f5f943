"""Processing a placed order: handing it to a worker, carrying out its items, waiting for
the SIP registrar, and writing its messages once it is complete.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import money, signed_money
from notifications import services as notification_services
from notifications.models import Notification
from orders.models import Order, OrderItem, OrderStatusChange
from orders.signals import order_status_changed
from portal import celery, logs, metrics
from portal.errors import Refusal
from portal.policy import Actor
from provisioning import services as provisioning
from workplaces.models import Workplace
from workplaces.services import credentials, lifecycle

log = logs.get_logger(__name__)


def _transition(order: Order, status: str, note: str = "") -> None:
    """Move the order on and record it; called in the caller's transaction, which also holds
    what the layers above write when they hear of it (:mod:`orders.signals`)."""
    if not order.can_move_to(status):
        raise ValueError(f"order {order.pk}: {order.status} -> {status} is not allowed")
    old_status = order.status
    order.status = status
    order.save(update_fields=["status"])
    change = OrderStatusChange.objects.create(order=order, status=status, note=note)
    metrics.count_on_commit(metrics.ORDER_STATUS, status=status)
    if status == Order.Status.COMPLETED:
        metrics.observe_on_commit(metrics.ORDER_COMPLETED_SECONDS, order.created_at)
    order_status_changed.send(
        sender=Order,
        order=order,
        old_status=old_status,
        new_status=status,
        changed_at=change.created_at,
    )
    # order_processing, order_completed, order_failed (with the note the admin reads)
    level = log.warning if status == Order.Status.FAILED else log.info
    level(f"order_{status}", order_number=order.number, old_status=old_status, note=note)


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


@logs.scoped
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
        logs.bind_order(order)  # its lines, its registrar jobs and messages name the order
        if order.status == Order.Status.RECEIVED:
            _transition(order, Order.Status.PROCESSING)
        elif order.status != Order.Status.PROCESSING:
            return
    try:
        today = timezone.localdate()
        # Only the items still to do: a re-run (after each registrar job) costs no item query.
        pending = order.items.filter(outcome=OrderItem.Outcome.PENDING)
        others = pending.exclude(kind=OrderItem.Kind.NEW_WORKPLACE)
        for item_id in others.values_list("pk", flat=True):
            _carry_out(item_id, order, today)
        while _activate_chunk(order):
            pass
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
        if order.items.filter(outcome=OrderItem.Outcome.PENDING).exists():
            return  # another run (a redelivered task) is still at it; it completes the order
        if not order.items.exclude(outcome=OrderItem.Outcome.REFUSED).exists():
            _transition(
                order,
                Order.Status.FAILED,
                _("Keine Position konnte ausgeführt werden; die Gründe stehen bei den Positionen."),
            )
        elif not _registrar_ready(order):
            if _note_once(order, _("Wartet auf den SIP-Registrar.")):
                log.info("order_waiting_for_registrar", order_number=order.number)
        else:
            _transition(order, Order.Status.COMPLETED)
            if send_messages:
                _queue_messages(order)


def _registrar_ready(order: Order) -> bool:
    """Whether the registrar has every new workplace; if not, it runs this order again then.

    The messages wait for it: a password sent before the subscriber exists would not work.
    """
    if provisioning.waiting_for(then_task="orders.tasks.process_order", then_id=order.pk):
        return False  # a job this order waits for is not finished: one query, whatever the size
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


def _note_once(order: Order, note: str) -> bool:
    """A note in the order's history without a change of status, not repeated by re-runs;
    whether it was written now."""
    latest = order.history.order_by("-created_at", "-id").first()
    if latest is None or latest.status != order.status or latest.note != note:
        OrderStatusChange.objects.create(order=order, status=order.status, note=note)
        return True
    return False


#: New workplaces activated in one transaction: a whole company's order in a few of them.
ACTIVATION_CHUNK = 500


@transaction.atomic
def _activate_chunk(order: Order) -> bool:
    """Activate up to :data:`ACTIVATION_CHUNK` pending new workplaces of the order, set-based
    (a constant number of queries per chunk); False when none was left.

    The items are locked and re-read as pending, so a second run of the order waits for this
    one and then finds them done: no workplace, login or registrar job is made twice.
    """
    items = list(
        order.items.select_for_update(of=("self",))
        .filter(kind=OrderItem.Kind.NEW_WORKPLACE, outcome=OrderItem.Outcome.PENDING)
        .order_by("pk")
        .values_list("pk", "workplace_id")[:ACTIVATION_CHUNK]
    )
    if not items:
        return False
    lifecycle.activate_workplaces(workplace_ids=[w for _pk, w in items], order=order)
    OrderItem.objects.filter(pk__in=[pk for pk, _w in items]).update(outcome=OrderItem.Outcome.DONE)
    return True


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
        log.info("order_item_refused", item_id=item.pk, kind=item.kind, reason=refusal.code)
    else:
        item.outcome = OrderItem.Outcome.DONE
    item.save(update_fields=["outcome", "reason"])


def _queue_messages(order: Order) -> None:
    """Welcome e-mail and password for each new user, the Auftragsinformation for the admin.

    Written in the transaction that completes the order, so they exist exactly when it does;
    with one insert, so a worker sends them together (an order of one workplace: one task).
    """
    items = list(
        order.items.filter(outcome=OrderItem.Outcome.DONE).select_related(
            "workplace__number", "workplace__user", "package"
        )
    )
    created = [item.workplace for item in items if item.kind == OrderItem.Kind.NEW_WORKPLACE]
    new_workplaces = bool(created)
    rows = credentials.credential_messages_many(workplaces=created, order_id=order.pk)
    admin = order.placed_by
    if admin.email:
        rows.append(_confirmation(order, admin, items, new_workplaces=new_workplaces))
    else:
        log.warning("order_confirmation_skipped", reason="admin_without_email", admin_id=admin.pk)
    notification_services.queue_many(rows)


def _confirmation(order: Order, admin, items: list[OrderItem], *, new_workplaces: bool) -> dict:
    """The Auftragsinformation's row for :func:`notifications.services.queue_many`."""
    return {
        "kind": Notification.Kind.ORDER_CONFIRMATION,
        "channel": Notification.Channel.EMAIL,
        "recipient": admin.email,
        "language": order.language,
        "order_id": order.pk,
        "context": {
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
    }
