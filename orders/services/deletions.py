"""Deleting a workplace: at once as an order of its own, or at the end of the minimum term."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import transaction
from django.utils import timezone

from catalog.models import Package
from orders.models import Order
from orders.services.cart import deletion_refusal
from orders.services.placing import _new_order, deletion_item
from orders.services.processing import enqueue_processing
from portal import policy
from portal.policy import Actor
from workplaces.models import Workplace
from workplaces.services import lifecycle


def decide_deletion(
    *, actor: Actor, workplace: Workplace, today: dt.date
) -> tuple[Workplace, dt.date | None]:
    """The page's rules of "Löschen", with the workplace row locked (call it in a transaction):
    inside the minimum term the deletion is scheduled for the term's end.

    Returns the locked workplace and the date the deletion is scheduled for, or None when the
    workplace may be deleted now, by an order.
    """
    workplace = (
        Workplace.objects.select_for_update(of=("self",))
        .select_related("package", "trunk")
        .get(pk=workplace.pk)
    )
    policy.check_change(actor, workplace)
    refusal = deletion_refusal(workplace, admin=actor.user)
    if refusal:
        raise refusal
    earliest = workplace.earliest_deletion_on()
    if earliest and today < earliest:
        lifecycle.schedule_deletion(workplace=workplace, actor=actor, on=earliest)
        return workplace, earliest
    return workplace, None


def order_deletion(*, actor: Actor, workplace: Workplace, language: str = "de") -> Order | None:
    """Delete now, as an order; inside the minimum term the deletion is scheduled instead.

    Returns the order, or None when the deletion was scheduled for the end of the term.
    The workplace row is locked first, so a package change or a second deletion decided at
    the same time waits and then sees this one.
    """
    with transaction.atomic():
        workplace, scheduled = decide_deletion(
            actor=actor, workplace=workplace, today=timezone.localdate()
        )
        if scheduled:
            return None
        order = _new_order(admin=actor.user, submission=uuid.uuid4(), language=language)
        item = deletion_item(order, workplace, Package.workplace_product().monthly_net)
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
