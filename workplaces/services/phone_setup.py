""" "Telefon einrichten": one-time codes that hand a softphone its account.

A code is a random token; only its SHA-256 is stored. It is good once, for
``PHONE_SETUP_MINUTES``, and only while no newer code replaced it and the password did not
change since it was made (:func:`password_changed`). Its use answers the softphone's
account with the digest ``ha1`` the registrar holds at that moment (never the password,
and nothing of it stored here), and is a Protokoll event with the client's address.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications import services as notifications
from notifications.models import Notification
from portal import audit, policy
from portal.errors import Refusal
from portal.policy import Actor
from provisioning import services as provisioning
from provisioning.softphone import linphone_document
from workplaces.models import PhoneSetup, Workplace
from workplaces.services import lifecycle

#: 32 random bytes, URL-safe base64: 43 characters.
TOKEN_BYTES = 32
TOKEN_LENGTH = 43


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def provisioning_url(token: str) -> str:
    """The absolute link a softphone fetches (the QR code carries it; no redirect)."""
    path = reverse("myportal:phone_provision", kwargs={"token": token})
    return settings.PORTAL_BASE_URL + path


def page_url() -> str:
    """MyPortal's "Telefon einrichten" page, absolute (for the e-mail)."""
    return settings.PORTAL_BASE_URL + reverse("myportal:phone_setup")


@dataclass(frozen=True)
class Issued:
    """A new code: ``url`` contains the token and is shown once, never stored."""

    url: str
    expires_at: dt.datetime

    def __repr__(self) -> str:
        return f"Issued(expires_at={self.expires_at.isoformat()})"


@transaction.atomic
def issue(*, workplace: Workplace) -> Issued:
    """A new code for ``workplace``; a previous one not used yet is void from now on."""
    now = timezone.now()
    Workplace.objects.select_for_update().filter(pk=workplace.pk).first()
    workplace.phone_setups.filter(used_at=None, replaced_at=None).update(replaced_at=now)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    expires_at = now + dt.timedelta(minutes=settings.PHONE_SETUP_MINUTES)
    PhoneSetup.objects.create(
        workplace=workplace, token_hash=token_hash(token), created_at=now, expires_at=expires_at
    )
    return Issued(url=provisioning_url(token), expires_at=expires_at)


def password_changed(*, user_id: int) -> None:
    """The password of ``user_id`` changed: an unused code is void, and a phone set up
    before needs a new code. Called in the transaction that changes the password."""
    PhoneSetup.objects.filter(workplace__user_id=user_id, password_changed_at=None).update(
        password_changed_at=timezone.now()
    )


class Gone(Exception):
    """No usable code: unknown, used, expired, replaced, voided by a password change, or its
    workplace no longer in service."""


def fetch(*, token: str, address: str | None) -> bytes:
    """Use the code: the softphone's Linphone provisioning document, and the code is spent.

    Raises :class:`Gone`, or :class:`~provisioning.backends.RegistrarUnavailable` when the
    registrar does not answer (the code stays good then, the client may try again).
    """
    if len(token) != TOKEN_LENGTH:
        raise Gone
    now = timezone.now()
    with transaction.atomic():
        setup = (
            PhoneSetup.objects.select_for_update(of=("self",))
            .select_related("workplace__trunk")
            .filter(token_hash=token_hash(token))
            .first()
        )
        if setup is None or not setup.usable(now):
            raise Gone
        workplace = setup.workplace
        if workplace.status not in Workplace.LOGIN_ALLOWED or not workplace.user_id:
            raise Gone
        try:
            account = provisioning.softphone_account(
                username=workplace.username, display_name=workplace.full_name
            )
        except provisioning.NoCredentials:
            raise Gone from None
        setup.used_at, setup.used_from = now, address
        setup.save(update_fields=["used_at", "used_from"])
        audit.record(
            customer_id=workplace.trunk.customer_id,
            actor=workplace.user,
            remote_addr=address,
            action="phone_set_up",
            object_type="workplace",
            object_code=workplace.code,
            params={"username": workplace.username},
        )
    return linphone_document(account)


@dataclass(frozen=True)
class PhoneState:
    """What the pages say: the phone set up last (when, and whether a password change since
    stopped it), and the newest code still open or voided by a password change."""

    set_up_at: dt.datetime | None
    set_up_outdated: bool
    open_until: dt.datetime | None
    voided_by_password: bool

    @property
    def needs_new_code(self) -> bool:
        return self.set_up_outdated or self.voided_by_password


def state_of(workplace: Workplace) -> PhoneState:
    now = timezone.now()
    used = workplace.phone_setups.exclude(used_at=None).order_by("-used_at").first()
    newest = workplace.phone_setups.filter(used_at=None).first()
    if used and newest and newest.created_at < used.used_at:
        newest = None  # the code of before the phone was set up is history
    return PhoneState(
        set_up_at=used.used_at if used else None,
        set_up_outdated=bool(used and used.password_changed_at),
        open_until=newest.expires_at if newest and newest.usable(now) else None,
        voided_by_password=bool(
            newest
            and newest.replaced_at is None
            and newest.password_changed_at
            and newest.password_changed_at < newest.expires_at
        ),
    )


@transaction.atomic
def send_reminder(*, workplace: Workplace, actor: Actor) -> None:
    """An admin's e-mail to the user that points to "Telefon einrichten" (no code in it)."""
    locked = Workplace.objects.select_for_update(of=("self",)).get(pk=workplace.pk)
    policy.check_change(actor, locked)
    refusal = lifecycle.not_in_service_refusal(locked)
    if refusal:
        raise refusal
    if not locked.user_id or not provisioning.is_connected():
        raise Refusal(
            "no_phone_setup",
            _("Für %(username)s kann noch kein Telefon eingerichtet werden.")
            % {"username": locked.username},
            params={"username": locked.username},
        )
    notifications.queue(
        kind=Notification.Kind.PHONE_SETUP_EMAIL,
        channel=Notification.Channel.EMAIL,
        recipient=locked.auth_email,
        workplace_id=locked.pk,
        context={
            "first_name": locked.first_name,
            "last_name": locked.last_name,
            "username": locked.username,
            "phone_setup_url": page_url(),
        },
    )
