"""The draft-step commands: a draft started on a trunk, its Benutzerdaten, trunk, username,
number and package, and a complete draft into the cart (the wizard's steps 2 to 6), and the
reads the steps show (the packages, an admin's live drafts).
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import offer
from catalog.models import Package
from portal import policy
from portal.errors import GENERAL, Refusal
from portal.models import User
from portal.policy import Actor
from trunks.models import Number, SipTrunk
from workplaces.models import SetupDraft
from workplaces.services import quota
from workplaces.services.setup.checks import (
    check_contacts,
    check_trunk,
    check_user_data,
    check_username,
)
from workplaces.services.setup.numbers import _number_taken, not_on_trunk, number_is_held
from workplaces.services.setup.usernames import _taken_message


def conference_packages() -> list[Package]:
    return offer.conference_packages()


def _touch(draft: SetupDraft) -> None:
    draft.updated_at = timezone.now()


@transaction.atomic
def start_draft(*, actor: Actor, trunk: SipTrunk, user_data: Mapping[str, object]) -> SetupDraft:
    """A new draft on ``trunk`` with its Benutzerdaten (step 2 of the wizard).

    Refused with every problem of the Benutzerdaten, or on the field ``trunk`` when the trunk
    has no place left (``quota_exhausted``); a trunk the actor may not change is ``not_found``.
    """
    policy.check_change(actor, trunk)
    check_trunk(trunk=trunk, actor=actor).raise_if_errors()
    values = check_user_data(data=user_data).raise_if_errors()
    draft = SetupDraft(customer_id=trunk.customer_id, created_by=actor.user, trunk=trunk, **values)
    draft.save()
    return draft


def save_user_data(*, actor: Actor, draft: SetupDraft, user_data: Mapping[str, object]) -> None:
    policy.check_change(actor, draft)
    values = check_user_data(data=user_data).raise_if_errors()
    for name, value in values.items():
        setattr(draft, name, value)
    _touch(draft)
    draft.save(update_fields=[*values, "updated_at"])


def change_trunk(*, actor: Actor, draft: SetupDraft, trunk: SipTrunk) -> None:
    """A number belongs to one trunk: choosing another trunk gives the number back."""
    policy.check_change(actor, draft)
    if draft.trunk_id == trunk.pk:
        return
    check_trunk(trunk=trunk, actor=actor, draft=draft).raise_if_errors()
    draft.trunk = trunk
    draft.number = None
    _touch(draft)
    draft.save(update_fields=["trunk", "number", "updated_at"])


def reserve_username(
    *, actor: Actor, draft: SetupDraft, username: object, contacts: Mapping[str, object]
) -> None:
    """Benutzeranmeldung: reserve the username for the draft and keep how the credentials travel.

    ``contacts``: the arguments of :func:`check_contacts` (``auth_email_repeat`` is compared
    when given). Refused with every problem of the username and the contacts at once. The
    claim on the name decides between two drafts reaching for one name at the same time.
    """
    policy.check_change(actor, draft)
    checked = check_username(username=username, draft=draft).merge(
        check_contacts(
            auth_email=contacts.get("auth_email"),
            mobile=contacts.get("mobile"),
            without_mobile=contacts.get("without_mobile"),
            auth_email_repeat=contacts.get("auth_email_repeat"),
        )
    )
    values = checked.raise_if_errors()
    draft.username = values["username"]
    draft.auth_email = values["auth_email"]
    draft.without_mobile = values["without_mobile"]
    draft.mobile = values["mobile"]
    _touch(draft)
    try:
        with transaction.atomic():
            draft.save(
                update_fields=["username", "auth_email", "without_mobile", "mobile", "updated_at"]
            )
    except IntegrityError:
        raise Refusal(
            "username_taken",
            _taken_message(values["username"]),
            field="username",
            params={"name": values["username"]},
        ) from None


def reserve_number(*, actor: Actor, draft: SetupDraft, number: Number | str) -> None:
    """Reserve ``number`` (a row, or its E.164 form as the wizard posts it) for the draft,
    releasing the one it held before.

    The rules of :func:`check_number`, checked once, with the number row locked: of many
    drafts reaching for one number exactly one wins; the unique constraint on the draft's
    number backs this up on any database.
    """
    policy.check_change(actor, draft)
    value = number.e164 if isinstance(number, Number) else str(number or "").strip()
    if not value:
        raise Refusal("required", _("Bitte wählen Sie eine Rufnummer aus."), field="number")
    try:
        with transaction.atomic():
            locked = Number.objects.by_e164(draft.trunk_id, value, lock=True)
            if locked is None:
                raise Number.DoesNotExist
            if number_is_held(locked, draft=draft):
                raise _number_taken(locked)
            draft.number = locked
            _touch(draft)
            draft.save(update_fields=["number", "updated_at"])
    except Number.DoesNotExist:
        error = not_on_trunk(value)
        raise Refusal(error.code, error.message, field="number", params={"number": value}) from None
    except IntegrityError:
        raise _number_taken(locked) from None


def choose_package(*, actor: Actor, draft: SetupDraft, package: Package | None) -> None:
    """Konferenzpaket buchen: a conference package that can be ordered, or none."""
    policy.check_change(actor, draft)
    if package is not None and (package.kind != Package.Kind.CONFERENCE or not package.active):
        raise Refusal(
            "package_not_listed", _("Bitte wählen Sie ein Paket aus der Liste."), field="package"
        )
    draft.package = package
    draft.package_chosen = True
    _touch(draft)
    draft.save(update_fields=["package", "package_chosen", "updated_at"])


@transaction.atomic
def add_to_cart(*, draft: SetupDraft, actor: Actor) -> None:
    """A complete draft takes a place of its trunk's quota; refused when none is left.

    The trunk row is locked while counting, so of two admins reaching for the last place
    exactly one gets it. Only the draft's own admin puts it into their cart (``not_found``).
    """
    policy.check_change(actor, draft)
    missing = draft.first_missing()
    if missing is not None:
        raise Refusal(
            "draft_incomplete",
            _("Die Einrichtung ist unvollständig (%(step)s).")
            % {"step": draft.part_label(missing)},
            params={"step": missing},
        )
    trunk = quota.lock_trunks([draft.trunk_id])[draft.trunk_id]
    if draft.status != SetupDraft.Status.IN_CART and quota.places_left(trunk) < 1:
        raise Refusal(
            "quota_exhausted",
            quota.quota_exhausted_message(trunk),
            field=GENERAL,
            params={"trunk": trunk.name},
        )
    draft.status = SetupDraft.Status.IN_CART
    _touch(draft)
    draft.save(update_fields=["status", "updated_at"])


def live_drafts_of(admin: User):
    return (
        SetupDraft.objects.filter(created_by=admin, status__in=SetupDraft.LIVE)
        .select_related("trunk", "number", "package")
        .order_by("-updated_at")
    )
