"""What happens to a workplace after ordering: activation, edits, package changes, deletion.

Each function re-checks its rule against the state at the moment it applies the change (a
check at the page, a re-check under lock when the order is processed) and records an audit
event.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import audit, policy
from portal.errors import Refusal
from portal.models import AuditEvent
from portal.policy import Actor
from provisioning import services as provisioning
from trunks.models import SipTrunk
from trunks.numbers import parse_number_query
from workplaces.models import PERSON_FIELDS, Workplace
from workplaces.services import setup


def registrar_ref(workplace: Workplace) -> str:
    """The ``ref`` of a workplace's registrar jobs, by which pages ask for their state."""
    return f"workplace:{workplace.code}"


def registrar_expected() -> dict[str, str | None]:
    """What the registrar should hold: username -> E.164 number of every live workplace.

    ``PROVISIONING_EXPECTED`` names this for the hourly check; ``provisioning_check`` too.
    """
    return dict(
        Workplace.objects.filter(status__in=Workplace.LOGIN_ALLOWED).values_list(
            "username", "number__e164"
        )
    )


@transaction.atomic
def activate_workplace(
    *, workplace: Workplace, today: dt.date | None = None, order: object | None = None
) -> bool:
    """Create the login (unusable password), book the package from today, mark active.

    The registrar gets the subscriber (without a password: that comes with the first
    temporary password) and the number's alias through its outbox, written in this
    transaction. Idempotent on the workplace's status: an active workplace is left as it is.
    """
    workplace = Workplace.objects.select_for_update().get(pk=workplace.pk)
    if workplace.status != Workplace.Status.PENDING:
        return False
    user = get_user_model()(
        username=workplace.username,
        first_name=workplace.first_name,
        last_name=workplace.last_name,
        email=workplace.auth_email,
        must_change_password=True,
    )
    user.set_unusable_password()
    user.save(claim_username=False)  # the workplace holds the name for its login
    workplace.user = user
    workplace.status = Workplace.Status.ACTIVE
    workplace.activated_at = timezone.now()
    if workplace.package_id:
        workplace.package_booked_on = today or timezone.localdate()
    workplace.save(update_fields=["user", "status", "activated_at", "package_booked_on"])
    provisioning.queue_ensure(
        username=workplace.username,
        e164=workplace.number.e164 if workplace.number_id else None,
        ref=registrar_ref(workplace),
    )
    audit.record(
        customer_id=workplace.trunk.customer_id,
        actor=workplace.created_by,
        action="workplace_created",
        object_type="workplace",
        object_code=workplace.code,
        params={
            "username": workplace.username,
            "name": workplace.full_name,
            **order_param(order),
        },
    )
    return True


def workplaces_of_trunk(trunk: SipTrunk, query: str = "", *, status: str = "", package: str = ""):
    """The overview's rows: search by name, username or number; filter by status, package."""
    return workplaces_of_trunks([trunk], query, status=status, package=package)


def workplaces_of_trunks(
    trunks: Iterable[SipTrunk], query: str = "", *, status: str = "", package: str = ""
):
    """The overview's rows across ``trunks`` (the customer's, when it searches them all), with
    each row's trunk for the "SIP-Trunk" column; the same search and filters as on one trunk."""
    workplaces = Workplace.objects.filter(trunk__in=[t.pk for t in trunks])
    if status:
        workplaces = workplaces.filter(status=status)
    else:
        workplaces = workplaces.exclude(status=Workplace.Status.DELETED)
    if package == "none":
        workplaces = workplaces.filter(package__isnull=True)
    elif package:
        workplaces = workplaces.filter(package__code=package)
    if query:
        number = parse_number_query(query)
        matches = (
            Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
            | Q(username__icontains=query)
        )
        if number.prefix:
            matches |= Q(number__e164__startswith=number.prefix)
        elif number.contains:
            matches |= Q(number__e164__contains=number.contains)
        workplaces = workplaces.filter(matches)
    return workplaces.select_related("number", "package", "trunk").order_by(
        "last_name", "first_name", "pk"
    )


def order_param(order: object | None) -> dict:
    """The order that caused an event (``orders.Order``, which sits above this module), for
    the Protokoll and the Verlauf to link to: its code and number, plain data."""
    if order is None:
        return {}
    return {"order": {"code": str(order.code), "number": order.number}}


def _allowed(actor: Actor | None, workplace: Workplace) -> None:
    """The policy's answer for a workplace; None is the system itself (a due cancellation)."""
    if actor is not None:
        policy.check_change(actor, workplace)


def _workplace_event(workplace: Workplace, actor: Actor | None, action: str, **params) -> None:
    audit.record(
        customer_id=workplace.trunk.customer_id,
        actor=actor,
        action=action,
        object_type="workplace",
        object_code=workplace.code,
        params={"username": workplace.username, **params},
    )


EDITABLE_FIELDS = (*PERSON_FIELDS,)


def not_in_service_refusal(workplace: Workplace) -> Refusal | None:
    """Why the workplace's data and password can no longer be changed; None while it runs
    (active, or with a cancellation that is not yet carried out)."""
    if workplace.is_in_service:
        return None
    return Refusal(
        "not_in_service", _not_active_message(workplace), params={"username": workplace.username}
    )


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
        get_user_model().objects.filter(pk=workplace.user_id).update(email=workplace.auth_email)
    _workplace_event(workplace, actor, "workplace_edited", fields=changed)
    return changed


def package_change_allowed(workplace: Workplace, package, today: dt.date) -> bool:
    """Upgrades any time; a smaller package or none only after the minimum term."""
    current_rank = workplace.package.rank if workplace.package_id else 0
    new_rank = package.rank if package else 0
    if new_rank == current_rank and (package and package.pk) == workplace.package_id:
        return False
    return new_rank > current_rank or workplace.can_downgrade_on(today)


def minimum_term_message(workplace: Workplace) -> str:
    earliest = workplace.earliest_downgrade_on()
    return _(
        "Ein kleineres Paket oder die Kündigung ist erst nach der Mindestvertragslaufzeit "
        "möglich, frühestens am %(date)s."
    ) % {"date": earliest.strftime("%d.%m.%Y") if earliest else "–"}


def minimum_term_refusal(workplace: Workplace) -> Refusal:
    return Refusal(
        "minimum_term",
        minimum_term_message(workplace),
        field="package",
        params={"earliest": workplace.earliest_downgrade_on()},
    )


def not_active_refusal(workplace: Workplace) -> Refusal:
    return Refusal(
        "not_active", _not_active_message(workplace), params={"username": workplace.username}
    )


def _not_active_message(workplace: Workplace) -> str:
    return _("Der Arbeitsplatz %(username)s ist nicht mehr aktiv.") % {
        "username": workplace.username
    }


def not_manageable_refusal(workplace: Workplace) -> Refusal | None:
    """Why the workplace's package can no longer change nor the workplace be deleted; None
    while it is active."""
    return None if workplace.is_manageable else not_active_refusal(workplace)


def package_change_refusal(workplace: Workplace, package, today: dt.date) -> Refusal | None:
    """Why ``package`` cannot be booked for the workplace today; None when it can."""
    refusal = not_manageable_refusal(workplace)
    if refusal:
        return refusal
    if not package_change_allowed(workplace, package, today):
        return minimum_term_refusal(workplace)
    return None


def deletion_refusal(workplace: Workplace, today: dt.date) -> Refusal | None:
    """Why the workplace cannot be deleted today; None when it can.

    An active workplace after its minimum term, or one whose scheduled cancellation is due.
    """
    if workplace.status == Workplace.Status.CANCEL_SCHEDULED:
        if workplace.cancel_on and workplace.cancel_on <= today:
            return None
        return Refusal(
            "cancellation_scheduled",
            _("Die Kündigung von %(username)s ist zum %(date)s vorgemerkt.")
            % {
                "username": workplace.username,
                "date": workplace.cancel_on.strftime("%d.%m.%Y") if workplace.cancel_on else "–",
            },
            params={"username": workplace.username, "date": workplace.cancel_on},
        )
    if workplace.status != Workplace.Status.ACTIVE:
        return not_active_refusal(workplace)
    earliest = workplace.earliest_deletion_on()
    if earliest and today < earliest:
        return Refusal(
            "minimum_term",
            _(
                "Die Löschung von %(username)s ist erst nach der Mindestvertragslaufzeit möglich, "
                "frühestens am %(date)s."
            )
            % {"username": workplace.username, "date": earliest.strftime("%d.%m.%Y")},
            params={"username": workplace.username, "earliest": earliest},
        )
    return None


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


def withdrawal_refusal(workplace: Workplace, today: dt.date) -> Refusal | None:
    """Why a scheduled cancellation cannot be withdrawn today; None when it can.

    Until the day before the date: on the date the daily task carries the deletion out.
    """
    params = {"username": workplace.username}
    if workplace.status == Workplace.Status.DELETED:
        return Refusal(
            "already_deleted",
            _("Der Arbeitsplatz %(username)s ist bereits gelöscht.") % params,
            params=params,
        )
    if workplace.status != Workplace.Status.CANCEL_SCHEDULED or workplace.cancel_on is None:
        return Refusal(
            "no_cancellation",
            _("Für %(username)s ist keine Kündigung vorgemerkt.") % params,
            params=params,
        )
    if today >= workplace.cancel_on:
        return Refusal(
            "withdrawal_too_late",
            _("Die Kündigung von %(username)s zum %(date)s kann nicht mehr zurückgenommen werden.")
            % {**params, "date": workplace.cancel_on.strftime("%d.%m.%Y")},
            params={**params, "date": workplace.cancel_on},
        )
    return None


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


def due_deletions(today: dt.date):
    return Workplace.objects.filter(
        status=Workplace.Status.CANCEL_SCHEDULED, cancel_on__lte=today
    ).select_related("trunk__customer")


@dataclass(frozen=True)
class PackageOption:
    value: str
    label: str
    package: object
    allowed: bool
    current: bool
    reason: str = ""


def package_options(workplace: Workplace, packages: list, today: dt.date) -> list[PackageOption]:
    """Every package and "none", saying which the minimum term allows now and why not."""
    earliest = workplace.earliest_downgrade_on()
    options = []
    for package in [None, *packages]:
        current = (package.pk if package else None) == workplace.package_id
        allowed = not current and package_change_allowed(workplace, package, today)
        reason = ""
        if current:
            reason = _("Aktuell gebucht")
        elif not allowed:
            reason = _("Erst nach der Mindestvertragslaufzeit möglich, frühestens am %(date)s") % {
                "date": earliest.strftime("%d.%m.%Y")
            }
        options.append(
            PackageOption(
                value=package.code if package else "none",
                label=package.name if package else _("Kein Konferenzpaket"),
                package=package,
                allowed=allowed,
                current=current,
                reason=reason,
            )
        )
    return options


def workplaces_with_page(customer_id: int, codes: Collection[str]) -> set[str]:
    """Which of ``codes`` name a workplace of the customer (every one has a page, a deleted
    one too; a workplace removed with its trunk has none)."""
    valid = [uuid.UUID(code) for code in codes if _is_uuid(code)]
    found = Workplace.objects.filter(trunk__customer_id=customer_id, code__in=valid)
    return {str(code) for code in found.values_list("code", flat=True)}


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def events_of(workplace: Workplace):
    return AuditEvent.objects.filter(
        customer_id=workplace.trunk.customer_id,
        object_type="workplace",
        object_code=str(workplace.code),
    ).select_related("actor")
