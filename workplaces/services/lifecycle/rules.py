"""The rules a change must pass now: in service, active, the minimum term, withdrawing a
cancellation; each as a refusal with its code, and the package choices they leave."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

from portal.errors import Refusal
from workplaces.models import Workplace


def not_in_service_refusal(workplace: Workplace) -> Refusal | None:
    """Why the workplace's data and password can no longer be changed; None while it runs
    (active, or with a cancellation that is not yet carried out)."""
    if workplace.is_in_service:
        return None
    return Refusal(
        "not_in_service", _not_active_message(workplace), params={"username": workplace.username}
    )


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
