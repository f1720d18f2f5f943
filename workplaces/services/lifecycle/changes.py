"""The changes to a workplace after ordering: edit, package change, deletion, a scheduled
cancellation and its withdrawal. Each re-checks its rule under lock and records an event."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.errors import Refusal
from portal.policy import Actor
from provisioning import services as provisioning
from workplaces.models import PERSON_FIELDS, Workplace
from workplaces.services import setup
from workplaces.services.lifecycle.activation import registrar_ref
from workplaces.services.lifecycle.events import _allowed, _workplace_event, order_param
from workplaces.services.lifecycle.rules import (
    deletion_refusal,
    not_in_service_refusal,
    package_change_refusal,
    withdrawal_refusal,
)

EDITABLE_FIELDS = (*PERSON_FIELDS,)


@transaction.atomic
def update_workplace(*, workplace: Workplace, data: dict, actor: Actor) -> list[str]:
    """Change user data and contacts; the username never changes. Returns changed fields.

    The setup service's rules apply (raises :class:`~portal.errors.Refusal` keyed by field); a
    deleted workplace is refused.
    """
    workplace = (
        Workplace.objects.select_for_update(of=("self",))  # not the trunk's row
        .select_related("trunk")
        .get(pk=workplace.pk)
    )
    _allowed(actor, workplace)
    refusal = not_in_service_refusal(workplace)
    if refusal:
        raise refusal
    contacts = setup.check_contacts(
        auth_email=data.get("auth_email"),
        mobile=data.get("mobile"),
        without_mobile=data.get("without_mobile"),
    )
    data = setup.check_user_data(data=data).merge(contacts).raise_if_errors()
    changed = [f for f in EDITABLE_FIELDS if f in data and getattr(workplace, f) != data[f]]
    if not changed:
        return []
    for field in changed:
        setattr(workplace, field, data[field])
    workplace.save(update_fields=changed)
    if workplace.user_id and "auth_email" in changed:
        # Saved, not updated through a query set: the save's signal drops the cached user.
        user = get_user_model().objects.get(pk=workplace.user_id)
        user.email = workplace.auth_email
        user.save(update_fields=["email"])
    _workplace_event(workplace, actor, "workplace_edited", fields=changed)
    return changed


@transaction.atomic
def change_package(
    *,
    workplace: Workplace,
    package,
    actor: Actor | None,
    today: dt.date,
    order: object | None = None,
) -> bool:
    """Book ``package`` (or none) from today, re-checking the rules against the state now.

    Raises :class:`~portal.errors.Refusal` with the reason when the change no longer holds (the
    workplace is gone, or the minimum term forbids it now). Idempotent: an applied change is
    not repeated.
    """
    workplace = (
        Workplace.objects.select_for_update(of=("self",))  # the package may be NULL
        .select_related("package", "trunk")
        .get(pk=workplace.pk)
    )
    _allowed(actor, workplace)
    if workplace.package_id == (package.pk if package else None):
        return False
    refusal = package_change_refusal(workplace, package, today)
    if refusal:
        raise refusal
    before = workplace.package
    workplace.package = package
    workplace.package_booked_on = today if package else None
    workplace.save(update_fields=["package", "package_booked_on"])
    _workplace_event(
        workplace,
        actor,
        "package_changed",
        # None is "Kein Konferenzpaket"; the name as it was then, the code to know it later.
        before=before.name if before else None,
        before_code=before.code if before else None,
        after=package.name if package else None,
        after_code=package.code if package else None,
        **order_param(order),
    )
    return True


@transaction.atomic
def delete_workplace(
    *,
    workplace: Workplace,
    actor: Actor | None,
    today: dt.date | None = None,
    order: object | None = None,
) -> bool:
    """The number returns to the trunk's free numbers, the package ends, the login stops.

    The registrar forgets the subscriber, its alias and its registered contacts through its
    outbox, written in this transaction.

    The rules are checked again against the state now (:func:`deletion_refusal`); a deletion
    that no longer holds raises :class:`~portal.errors.Refusal`. The username stays with the deleted
    workplace, so it is never given out again. Idempotent: a deleted workplace is left as it is.
    """
    workplace = (
        Workplace.objects.select_for_update(of=("self",))  # not the trunk's row
        .select_related("trunk", "package")
        .get(pk=workplace.pk)
    )
    _allowed(actor, workplace)
    if workplace.status == Workplace.Status.DELETED:
        return False
    refusal = deletion_refusal(workplace, today or timezone.localdate())
    if refusal:
        raise refusal
    number = workplace.number
    workplace.status = Workplace.Status.DELETED
    workplace.number = None
    workplace.package = None
    workplace.package_booked_on = None
    workplace.cancel_on = None
    workplace.deleted_at = timezone.now()
    workplace.save(
        update_fields=[
            "status",
            "number",
            "package",
            "package_booked_on",
            "cancel_on",
            "deleted_at",
        ]
    )
    if workplace.user_id:
        user = get_user_model().objects.get(pk=workplace.user_id)
        user.is_active = False
        user.set_unusable_password()
        user.save(update_fields=["is_active", "password"])
    provisioning.queue_removal(username=workplace.username, ref=registrar_ref(workplace))
    _workplace_event(
        workplace,
        actor,
        "workplace_deleted",
        number=number.national if number else "",
        e164=number.e164 if number else "",
        **order_param(order),
    )
    return True


@transaction.atomic
def schedule_deletion(*, workplace: Workplace, actor: Actor, on: dt.date) -> None:
    """Inside the minimum term: "Kündigung vorgemerkt zum ..."; a daily task carries it out."""
    workplace = (
        Workplace.objects.select_for_update(of=("self",))  # not the trunk's row
        .select_related("trunk")
        .get(pk=workplace.pk)
    )
    _allowed(actor, workplace)
    if workplace.status != Workplace.Status.ACTIVE:
        raise Refusal(
            "not_cancellable",
            _("Dieser Arbeitsplatz kann nicht mehr gekündigt werden."),
            params={"username": workplace.username},
        )
    workplace.status = Workplace.Status.CANCEL_SCHEDULED
    workplace.cancel_on = on
    workplace.save(update_fields=["status", "cancel_on"])
    _workplace_event(workplace, actor, "deletion_scheduled", date=on.isoformat())


@transaction.atomic
def withdraw_cancellation(*, workplace: Workplace, actor: Actor, today: dt.date) -> None:
    """ "Kündigung zurücknehmen": the workplace stays, as if the cancellation had never been
    scheduled (its package and minimum term as they were).

    A scheduled cancellation is no order and holds nothing in a cart, so only the workplace
    changes. Raises :class:`~portal.errors.Refusal` after the date or once deleted.
    """
    workplace = (
        Workplace.objects.select_for_update(of=("self",))  # not the trunk's row
        .select_related("trunk")
        .get(pk=workplace.pk)
    )
    _allowed(actor, workplace)
    refusal = withdrawal_refusal(workplace, today)
    if refusal:
        raise refusal
    date = workplace.cancel_on
    workplace.status = Workplace.Status.ACTIVE
    workplace.cancel_on = None
    workplace.save(update_fields=["status", "cancel_on"])
    _workplace_event(workplace, actor, "cancellation_withdrawn", date=date.isoformat())
