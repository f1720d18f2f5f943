"""Domain operations on setup drafts and workplaces. Each owns its transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications import services as notifications
from notifications.models import Notification, mask
from portal import audit
from portal.models import AuditEvent, User
from trunks.models import Number, SipTrunk
from trunks.numbers import parse_number_query
from workplaces import quota
from workplaces.models import SetupDraft, Workplace


class WizardError(Exception):
    """A domain rule stopped the step; the message can be shown next to the field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def username_taken(username: str, *, draft: SetupDraft | None = None) -> bool:
    """Usernames are one global namespace: logins, workplaces (even deleted ones), drafts."""
    if get_user_model().objects.filter(username__iexact=username).exists():
        return True
    if Workplace.objects.filter(username__iexact=username).exists():
        return True
    drafts = SetupDraft.objects.filter(username__iexact=username)
    if draft is not None and draft.pk:
        drafts = drafts.exclude(pk=draft.pk)
    return drafts.exists()


def _touch(draft: SetupDraft) -> None:
    draft.updated_at = timezone.now()


@transaction.atomic
def start_draft(*, admin: User, trunk: SipTrunk, user_data: dict) -> SetupDraft:
    draft = SetupDraft(customer_id=admin.customer_id, created_by=admin, trunk=trunk)
    for field, value in user_data.items():
        setattr(draft, field, value)
    draft.save()
    return draft


def save_user_data(*, draft: SetupDraft, user_data: dict) -> None:
    for field, value in user_data.items():
        setattr(draft, field, value)
    _touch(draft)
    draft.save(update_fields=[*user_data, "updated_at"])


def change_trunk(*, draft: SetupDraft, trunk: SipTrunk) -> None:
    """A number belongs to one trunk: choosing another trunk gives the number back."""
    if draft.trunk_id == trunk.pk:
        return
    draft.trunk = trunk
    draft.number = None
    _touch(draft)
    draft.save(update_fields=["trunk", "number", "updated_at"])


def save_login_data(*, draft: SetupDraft, data: dict) -> None:
    """Save step 3 and reserve the username for this draft."""
    draft.username = data["username"]
    draft.auth_email = data["auth_email"]
    draft.without_mobile = bool(data["without_mobile"])
    draft.mobile = "" if draft.without_mobile else data["mobile"]
    _touch(draft)
    try:
        with transaction.atomic():
            draft.save(
                update_fields=["username", "auth_email", "without_mobile", "mobile", "updated_at"]
            )
    except IntegrityError:
        raise WizardError(
            _("Der Benutzername „%(name)s“ ist bereits vergeben.") % {"name": data["username"]},
            field="username",
        ) from None


def reserve_number(*, draft: SetupDraft, number: Number) -> None:
    """Reserve ``number`` for the draft, releasing the one it held before.

    The number row is locked, so of many drafts reaching for one number exactly one wins;
    the unique constraint on the draft's number backs this up on any database.
    """
    taken = WizardError(
        _("Die Rufnummer %(number)s ist bereits vergeben. Bitte wählen Sie eine andere.")
        % {"number": number.national},
        field="number",
    )
    try:
        with transaction.atomic():
            locked = Number.objects.select_for_update().get(pk=number.pk, trunk=draft.trunk_id)
            held = (
                Workplace.objects.filter(number=locked).exists()
                or SetupDraft.objects.filter(number=locked).exclude(pk=draft.pk).exists()
            )
            if held:
                raise taken
            draft.number = locked
            _touch(draft)
            draft.save(update_fields=["number", "updated_at"])
    except IntegrityError:
        raise taken from None


def save_package(*, draft: SetupDraft, package) -> None:
    draft.package = package
    draft.package_chosen = True
    _touch(draft)
    draft.save(update_fields=["package", "package_chosen", "updated_at"])


@transaction.atomic
def add_to_cart(*, draft: SetupDraft) -> None:
    """The draft takes a place of its trunk's quota; refused when none is left.

    The trunk row is locked while counting, so of two admins reaching for the last place
    exactly one gets it.
    """
    trunk = quota.lock_trunks([draft.trunk_id])[draft.trunk_id]
    if draft.status != SetupDraft.Status.IN_CART and quota.places_left(trunk) < 1:
        raise WizardError(quota.quota_exhausted_message(trunk))
    draft.status = SetupDraft.Status.IN_CART
    _touch(draft)
    draft.save(update_fields=["status", "updated_at"])


def release_draft(*, draft: SetupDraft, status: str = SetupDraft.Status.DISCARDED) -> None:
    """End a draft and give back its username and number."""
    draft.status = status
    draft.username = None
    draft.number = None
    draft.save(update_fields=["status", "username", "number", "updated_at"])


def expire_drafts(*, now: dt.datetime | None = None) -> int:
    """Release what idle drafts reserved. Idempotent: an expired draft is not live any more."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(hours=settings.DRAFT_IDLE_HOURS)
    idle = SetupDraft.objects.filter(status__in=SetupDraft.LIVE, updated_at__lt=cutoff)
    return idle.update(status=SetupDraft.Status.EXPIRED, username=None, number=None)


def live_drafts_of(admin: User):
    return (
        SetupDraft.objects.filter(created_by=admin, status__in=SetupDraft.LIVE)
        .select_related("trunk", "number", "package")
        .order_by("-updated_at")
    )


def create_workplace_from(*, draft: SetupDraft, admin: User) -> Workplace:
    """Turn a checked draft into a pending workplace; the draft gives up its reservations.

    Called by ordering inside its transaction, with the number row already locked.
    """
    number, username = draft.number, draft.username
    release_draft(draft=draft, status=SetupDraft.Status.ORDERED)
    return Workplace.objects.create(
        trunk_id=draft.trunk_id,
        username=username,
        number=number,
        package=draft.package,
        created_by=admin,
        **{field: getattr(draft, field) for field in PERSON_FIELDS},
    )


PERSON_FIELDS = (
    "first_name",
    "last_name",
    "street",
    "house_number",
    "postcode",
    "city",
    "email",
    "auth_email",
    "mobile",
)


@transaction.atomic
def activate_workplace(*, workplace: Workplace, today: dt.date | None = None) -> bool:
    """Create the login (unusable password), book the package from today, mark active.

    Idempotent on the workplace's status: an active workplace is left as it is.
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
    user.save()
    workplace.user = user
    workplace.status = Workplace.Status.ACTIVE
    workplace.activated_at = timezone.now()
    if workplace.package_id:
        workplace.package_booked_on = today or timezone.localdate()
    workplace.save(update_fields=["user", "status", "activated_at", "package_booked_on"])
    audit.record(
        customer_id=workplace.trunk.customer_id,
        actor=workplace.created_by,
        action="workplace_created",
        object_type="workplace",
        object_code=workplace.code,
        params={"username": workplace.username, "name": workplace.full_name},
    )
    return True


def workplaces_of_trunk(trunk: SipTrunk, query: str = "", *, status: str = "", package: str = ""):
    """The overview's rows: search by name, username or number; filter by status, package."""
    workplaces = Workplace.objects.filter(trunk=trunk)
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
    return workplaces.select_related("number", "package").order_by("last_name", "first_name", "pk")


def queue_credentials(*, workplace: Workplace, order_id: int | None = None) -> None:
    """Welcome e-mail (username, how the password travels) and the password message.

    The password itself is made by the delivery task; nothing here contains it.
    """
    by_sms = workplace.password_by_sms
    person = {"first_name": workplace.first_name, "last_name": workplace.last_name}
    notifications.queue(
        kind=Notification.Kind.WELCOME,
        channel=Notification.Channel.EMAIL,
        recipient=workplace.auth_email,
        workplace_id=workplace.pk,
        order_id=order_id,
        context={
            **person,
            "username": workplace.username,
            "number": workplace.number.national if workplace.number_id else "",
            "by_sms": by_sms,
            "masked_mobile": mask(workplace.mobile) if by_sms else "",
        },
    )
    notifications.queue(
        kind=Notification.Kind.PASSWORD_SMS if by_sms else Notification.Kind.PASSWORD_EMAIL,
        channel=Notification.Channel.SMS if by_sms else Notification.Channel.EMAIL,
        recipient=workplace.mobile if by_sms else workplace.auth_email,
        workplace_id=workplace.pk,
        order_id=order_id,
        user_id=workplace.user_id,
        context={**person, "username": workplace.username},
    )


@transaction.atomic
def reset_password(
    *,
    workplace: Workplace,
    actor: User | None,
    remote_addr: str | None = None,
    language: str = "de",
    keeps_current_password: bool = False,
) -> None:
    """Send a new temporary password on the user's channel (SMS with a mobile number, else
    e-mail); the delivery task makes it.

    By an admin, the current password (and a pending one) stops now; until the message
    arrives the login does not work. From "Passwort vergessen" (``keeps_current_password``)
    nothing changes here: the current password works until the new one is first used.
    """
    user = get_user_model().objects.select_for_update().get(pk=workplace.user_id)
    if not keeps_current_password:
        user.set_unusable_password()
        user.must_change_password = True
        user.clear_pending_password()
        user.save(update_fields=["password", "must_change_password", *User.PENDING_PASSWORD_FIELDS])
    by_sms = workplace.password_by_sms
    notifications.queue(
        kind=(
            Notification.Kind.PASSWORD_RESET_SMS
            if by_sms
            else Notification.Kind.PASSWORD_RESET_EMAIL
        ),
        channel=Notification.Channel.SMS if by_sms else Notification.Channel.EMAIL,
        recipient=workplace.mobile if by_sms else workplace.auth_email,
        workplace_id=workplace.pk,
        user_id=user.pk,
        language=language,
        keeps_current_password=keeps_current_password,
        context={
            "first_name": workplace.first_name,
            "last_name": workplace.last_name,
            "username": workplace.username,
        },
    )
    audit.record(
        customer_id=workplace.trunk.customer_id,
        actor=actor,
        remote_addr=remote_addr,
        action="password_reset",
        object_type="workplace",
        object_code=workplace.code,
        params={"username": workplace.username, "forgotten": keeps_current_password},
    )


class ManagementError(Exception):
    """A rule of the seed refuses the change; the message says why and can be shown."""


def _workplace_event(workplace: Workplace, actor: User | None, action: str, **params) -> None:
    audit.record(
        customer_id=workplace.trunk.customer_id,
        actor=actor,
        action=action,
        object_type="workplace",
        object_code=workplace.code,
        params={"username": workplace.username, **params},
    )


EDITABLE_FIELDS = (*PERSON_FIELDS,)


@transaction.atomic
def update_workplace(*, workplace: Workplace, data: dict, actor: User) -> list[str]:
    """Change user data and contacts; the username never changes. Returns changed fields."""
    data = {**data, "mobile": "" if data.get("without_mobile") else data.get("mobile", "")}
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


def _not_active_message(workplace: Workplace) -> str:
    return _("Der Arbeitsplatz %(username)s ist nicht mehr aktiv.") % {
        "username": workplace.username
    }


def package_change_refusal(workplace: Workplace, package, today: dt.date) -> str:
    """Why ``package`` cannot be booked for the workplace today; empty when it can."""
    if not workplace.is_manageable:
        return _not_active_message(workplace)
    if not package_change_allowed(workplace, package, today):
        return minimum_term_message(workplace)
    return ""


def deletion_refusal(workplace: Workplace, today: dt.date) -> str:
    """Why the workplace cannot be deleted today; empty when it can.

    An active workplace after its minimum term, or one whose scheduled cancellation is due.
    """
    if workplace.status == Workplace.Status.CANCEL_SCHEDULED:
        if workplace.cancel_on and workplace.cancel_on <= today:
            return ""
        return _("Die Kündigung von %(username)s ist zum %(date)s vorgemerkt.") % {
            "username": workplace.username,
            "date": workplace.cancel_on.strftime("%d.%m.%Y") if workplace.cancel_on else "–",
        }
    if workplace.status != Workplace.Status.ACTIVE:
        return _not_active_message(workplace)
    earliest = workplace.earliest_deletion_on()
    if earliest and today < earliest:
        return _(
            "Die Löschung von %(username)s ist erst nach der Mindestvertragslaufzeit möglich, "
            "frühestens am %(date)s."
        ) % {"username": workplace.username, "date": earliest.strftime("%d.%m.%Y")}
    return ""


@transaction.atomic
def change_package(*, workplace: Workplace, package, actor: User | None, today: dt.date) -> bool:
    """Book ``package`` (or none) from today, re-checking the rules against the state now.

    Raises :class:`ManagementError` with the reason when the change no longer holds (the
    workplace is gone, or the minimum term forbids it now). Idempotent: an applied change is
    not repeated.
    """
    workplace = (
        Workplace.objects.select_for_update(of=("self",))  # the package may be NULL
        .select_related("package", "trunk")
        .get(pk=workplace.pk)
    )
    if workplace.package_id == (package.pk if package else None):
        return False
    refusal = package_change_refusal(workplace, package, today)
    if refusal:
        raise ManagementError(refusal)
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
    )
    return True


@transaction.atomic
def delete_workplace(
    *, workplace: Workplace, actor: User | None, today: dt.date | None = None
) -> bool:
    """The number returns to the trunk's free numbers, the package ends, the login stops.

    The rules are checked again against the state now (:func:`deletion_refusal`); a deletion
    that no longer holds raises :class:`ManagementError`. The username stays with the deleted
    workplace, so it is never given out again. Idempotent: a deleted workplace is left as it is.
    """
    workplace = (
        Workplace.objects.select_for_update(of=("self",))  # not the trunk's row
        .select_related("trunk", "package")
        .get(pk=workplace.pk)
    )
    if workplace.status == Workplace.Status.DELETED:
        return False
    refusal = deletion_refusal(workplace, today or timezone.localdate())
    if refusal:
        raise ManagementError(refusal)
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
    _workplace_event(
        workplace,
        actor,
        "workplace_deleted",
        number=number.national if number else "",
        e164=number.e164 if number else "",
    )
    return True


@transaction.atomic
def schedule_deletion(*, workplace: Workplace, actor: User, on: dt.date) -> None:
    """Inside the minimum term: "Kündigung vorgemerkt zum ..."; a daily task carries it out."""
    workplace = (
        Workplace.objects.select_for_update(of=("self",))  # not the trunk's row
        .select_related("trunk")
        .get(pk=workplace.pk)
    )
    if workplace.status != Workplace.Status.ACTIVE:
        raise ManagementError(_("Dieser Arbeitsplatz kann nicht mehr gekündigt werden."))
    workplace.status = Workplace.Status.CANCEL_SCHEDULED
    workplace.cancel_on = on
    workplace.save(update_fields=["status", "cancel_on"])
    _workplace_event(workplace, actor, "deletion_scheduled", date=on.isoformat())


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


def events_of(workplace: Workplace):
    return AuditEvent.objects.filter(
        customer_id=workplace.trunk.customer_id,
        object_type="workplace",
        object_code=str(workplace.code),
    ).select_related("actor")
